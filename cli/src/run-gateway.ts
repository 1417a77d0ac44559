/** Runs a gateway in the foreground until SIGINT/SIGTERM, then shuts it down in order and returns 0. */
import type { Gateway, GatewayOverrides } from '@tether/gateway';
import { formatFingerprint, safeText } from '@tether/protocol';

export interface RunGatewayOptions {
  stateDir?: string;
  overrides?: GatewayOverrides;
}

// The gateway (zod, json5, ws server) is loaded only by the commands that run one, so every other
// command starts fast.
export async function startLocalGateway(options: RunGatewayOptions): Promise<Gateway> {
  const { createLogger, installProcessGuards, resolveStateDir, startGateway } = await import('@tether/gateway');
  // This process is the gateway now: an escaped error is logged, never the end of every connection.
  installProcessGuards(createLogger());
  const stateDir = resolveStateDir(options.stateDir);
  return startGateway({ stateDir, overrides: options.overrides });
}

export function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

export async function runGatewayUntilSignal(options: RunGatewayOptions): Promise<number> {
  const gateway = await startLocalGateway(options);
  // Listen for signals before announcing: a script that stops the gateway as soon as it listens must get a clean stop.
  const stopped = waitForStopSignal();
  process.stderr.write(`[gateway] listening on ${safeText(gateway.url)} (state in ${safeText(gateway.stateDir)})\n`);
  if (gateway.tlsFingerprint) {
    // What a person compares with the fingerprint a node shows on its first connection.
    process.stderr.write(`[gateway] TLS certificate SHA-256: ${formatFingerprint(gateway.tlsFingerprint)}\n`);
    process.stderr.write(`[gateway] pin it on a node with: tether node run --url ${safeText(gateway.url)} --trust-fingerprint ${gateway.tlsFingerprint}\n`);
  }
  // Machine-readable line for scripts and tests that start the gateway on port 0.
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', url: gateway.url, port: gateway.port, pid: process.pid, ...(gateway.tlsFingerprint ? { tlsFingerprint: gateway.tlsFingerprint } : {}) })}\n`,
  );
  const signal = await stopped;
  process.stderr.write(`[gateway] ${signal}: shutting down\n`);
  await gateway.close('gateway stopping');
  return 0;
}
