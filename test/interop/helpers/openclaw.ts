/**
 * The real OpenClaw peer: node hosts, CLI calls and a gateway, each with its own state dir, on
 * loopback only, with everything that reaches outside switched off. Installed by ../install-peer.mjs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePeerInstalled } from '../install-peer.mjs';
import { loopbackGatewayConfig, offlineConfig, randomHexToken, writeOpenclawHome } from '../peer-config.mjs';
import { runProcess, spawnProcess, tempDir, type CliResult, type Spawned } from '../../helpers/processes.js';

export type OpenclawVersion = '2026.9.6' | '2026.4.24';
export const CURRENT: OpenclawVersion = '2026.9.6';
export const LEGACY: OpenclawVersion = '2026.4.24';

const peer = ensurePeerInstalled();

export interface OpenclawHome {
  stateDir: string;
  env: NodeJS.ProcessEnv;
}

export function openclawHome(version: OpenclawVersion, config: Record<string, unknown> = {}): OpenclawHome {
  const stateDir = tempDir('openclaw-');
  // 2026.4.24 rejects config keys it does not know yet, so it gets only the ones it has.
  const base = version === LEGACY ? { update: { checkOnStart: false }, ...config } : offlineConfig(config);
  return { stateDir, env: writeOpenclawHome(stateDir, base, peer.node24) };
}

export function openclawArgs(version: OpenclawVersion, args: string[]): [string, string[]] {
  return [peer.node24, [peer.openclaw[version]!, ...args]];
}

/** `openclaw node run` against a gateway port. The v3-era host installs plugin runtime deps from npm at start; plugins stay off. */
export function startOpenclawNodeHost(version: OpenclawVersion, port: number, displayName: string, env: NodeJS.ProcessEnv = {}): Spawned & { home: OpenclawHome } {
  return startOpenclawNodeHostWith(version, ['--host', '127.0.0.1', '--port', String(port)], displayName, env);
}

/** `openclaw node run` with the given gateway arguments (`--host/--port`, `--pair <code>`, `--tls-fingerprint` …). */
export function startOpenclawNodeHostWith(version: OpenclawVersion, gatewayArgs: string[], displayName: string, env: NodeJS.ProcessEnv = {}): Spawned & { home: OpenclawHome } {
  const home = openclawHome(version, {
    nodeHost: { browserProxy: { enabled: false } },
    ...(version === LEGACY ? { plugins: { enabled: false } } : {}),
  });
  // The node owner's exec policy: the v3-era host asks for approval by default; allow runs, as
  // `tether node policy --security full` does for a Tether node.
  mkdirSync(join(home.stateDir, '.openclaw'), { recursive: true });
  writeFileSync(
    join(home.stateDir, '.openclaw', 'exec-approvals.json'),
    JSON.stringify({ version: 1, defaults: { security: 'full', ask: 'off', askFallback: 'full' }, agents: {} }),
  );
  const [command, args] = openclawArgs(version, ['node', 'run', ...gatewayArgs, '--display-name', displayName]);
  return { ...spawnProcess(command, args, { ...home.env, ...env }, { group: true }), home };
}

export function runOpenclaw(version: OpenclawVersion, home: OpenclawHome, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const [command, full] = openclawArgs(version, args);
  return runProcess(command, full, home.env, timeoutMs);
}

export interface OpenclawGateway {
  url: string;
  port: number;
  token: string;
  home: OpenclawHome;
  process: Spawned;
}

/** `openclaw gateway run` on loopback with token auth and local auto-approval off; waits for /readyz. */
export async function startOpenclawGateway(port: number): Promise<OpenclawGateway> {
  const token = randomHexToken();
  const home = openclawHome(CURRENT, loopbackGatewayConfig(port, token));
  const [command, args] = openclawArgs(CURRENT, ['gateway', 'run', '--port', String(port), '--bind', 'loopback', '--auth', 'token']);
  const child = spawnProcess(command, args, home.env, { group: true });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.ok && ((await response.json()) as { ready?: boolean }).ready) {
        return { url: `ws://127.0.0.1:${port}`, port, token, home, process: child };
      }
    } catch {
      // Not listening yet: OpenClaw takes 10–25 s on two cores.
    }
    if (child.child.exitCode !== null) throw new Error(`openclaw gateway exited early:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`openclaw gateway not ready within 120 s:\n${child.output().slice(-4000)}`);
}
