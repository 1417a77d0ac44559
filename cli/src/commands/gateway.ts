/** `tether gateway run|status` and `tether health`. */
import { Command } from 'commander';
import { formatFingerprint, type HealthResult, type StatusResult } from '@tether/protocol';
import { MdnsFlagError, parseMdnsFlag, resolveStateDir, type MdnsMode } from '@tether/gateway';
import { browseGateways, explainNoneFound, type BrowseResult, type DiscoveredGateway } from '@tether/node-agent';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { EXIT_FAILED, EXIT_OK, printJson, printLines, printTable, usageError } from '../output.js';
import { runGatewayUntilSignal } from '../run-gateway.js';
import { describeChannels } from './channels.js';
import { registerServiceCommands, runServiceStatus, withServiceLocationOptions } from './service-commands.js';

export function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port takes a number from 0 to 65535, got "${String(value)}"`);
  return port;
}

/** `3s`, `1.5s`, `500ms`, `1m`, or a bare number of milliseconds (like every other --timeout). */
export function parseDuration(value: unknown, flag = '--timeout'): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(String(value));
  if (!match) throw usageError(`${flag} takes a duration such as 3s, 500ms or 3000, got "${String(value)}"`);
  const unit = (match[2] ?? 'ms').toLowerCase();
  const ms = Math.round(Number(match[1]) * (unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1));
  if (ms < 100 || ms > 120_000) throw usageError(`${flag} must be between 100ms and 2m, got "${String(value)}"`);
  return ms;
}

function shortFingerprint(fingerprint: string | undefined): string {
  return fingerprint ? `${fingerprint.slice(0, 16)}… (unverified)` : '-';
}

/** The table `tether gateway discover` prints (exported for tests). */
export function discoverTable(gateways: readonly DiscoveredGateway[]): { headers: string[]; rows: string[][] } {
  return {
    headers: ['NAME', 'ADDRESSES', 'PORT', 'TLS', 'FINGERPRINT', 'PROTOCOL', 'HOST'],
    rows: gateways.map((g) => [
      g.conflicting ? `${g.name} (!)` : g.name,
      g.addresses.join(', ') || '-',
      String(g.port),
      g.tls ? 'yes' : 'no',
      shortFingerprint(g.fingerprint),
      g.protocolVersion !== undefined ? `${g.protocol} v${g.protocolVersion}` : g.protocol,
      g.host,
    ]),
  };
}

export async function runDiscover(flags: Record<string, unknown>, browse: (o: { timeoutMs: number; interface?: string }) => Promise<BrowseResult> = browseGateways): Promise<number> {
  const timeoutMs = parseDuration(flags.timeout) ?? 3000;
  const result = await browse({ timeoutMs, ...(typeof flags.interface === 'string' ? { interface: flags.interface } : {}) });
  if (flags.json) {
    printJson({ ...result, note: 'mDNS answers are unauthenticated hints: connect to addresses, and never let an advertised fingerprint replace a pinned one' });
    return result.gateways.length > 0 ? EXIT_OK : EXIT_FAILED;
  }
  if (result.gateways.length === 0) {
    printLines(explainNoneFound(result, timeoutMs).split('\n'));
    return EXIT_FAILED;
  }
  const { headers, rows } = discoverTable(result.gateways);
  printTable(headers, rows);
  const notes = ['Fingerprints come from mDNS and are unverified: compare with the one the gateway prints at start.'];
  if (result.gateways.some((g) => g.conflicting)) notes.push('(!) different answers arrived for this name: someone may be forging mDNS answers; see --json for every variant.');
  for (const problem of result.problems) notes.push(`Note: ${problem}`);
  printLines(['', ...notes]);
  return EXIT_OK;
}

export function gatewayCommand(): Command {
  const gateway = new Command('gateway').description('run and inspect the gateway');

  gateway
    .command('run')
    .description('run the gateway in the foreground (HTTP + WebSocket on one port)')
    .option('--port <port>', 'port (default: TETHER_GATEWAY_PORT, config, 18789; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--token <token>', 'shared token (default: TETHER_GATEWAY_TOKEN, config, or generated into the state dir)')
    .option('--state-dir <dir>', 'state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--no-local-auto-approve', 'ask for approval even for nodes on this machine')
    .option('--mdns <on|off|auto>', 'advertise on the LAN over mDNS (default: discovery.mdns, auto = on except in containers, WSL and CI)')
    .option('--tls <mode>', 'serve https/wss: on, off or auto (default: gateway.tls.enabled, else auto = on beyond loopback)')
    .action(
      action(async (flags) =>
        runGatewayUntilSignal({
          stateDir: flags.stateDir,
          overrides: {
            port: parsePort(flags.port),
            host: flags.host as string | undefined,
            token: flags.token,
            ...(flags.localAutoApprove === false ? { autoApproveLoopback: false } : {}),
            ...mdnsOverride(flags.mdns),
            ...(flags.tls !== undefined ? { tls: parseTlsMode(flags.tls as string) } : {}),
          },
        }),
      ),
    );

  gateway
    .command('discover')
    .description('list the gateways that answer on the LAN (mDNS: _tether-gw._tcp, _openclaw-gw._tcp)')
    .option('--timeout <duration>', 'how long to listen: 3s, 500ms, or milliseconds (default 3s)')
    .option('--interface <name|ip>', 'ask on this interface only (default: every IPv4 interface)')
    .option('--json', 'print machine-readable JSON')
    .action(action(async (flags) => runDiscover(flags)));

  gateway
    .command('rotate-cert')
    .description("replace the gateway's TLS certificate with a new one its old key signs for, so pinned nodes and CLIs follow (restart the gateway to serve it)")
    .option('--state-dir <dir>', 'state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const { certificateHosts, resolveGatewayConfig, resolveStateDir, rotateCertificate } = await import('@tether/gateway');
        const stateDir = resolveStateDir(flags.stateDir);
        const rotated = await rotateCertificate(stateDir, certificateHosts(resolveGatewayConfig(stateDir).host));
        if (flags.json) return printJson(rotated);
        printLines([
          `New certificate SHA-256 ${formatFingerprint(rotated.to)}`,
          `(was ${formatFingerprint(rotated.from)}; the old key signed the change, so pinned nodes and CLIs follow it)`,
          'Restart the gateway to serve it.',
        ]);
      }),
    );

  gateway
    .command('trust')
    .description("the remote gateways' TLS certificates this CLI has pinned")
    .option('--reset', 'forget the pin (for --url, or every pin) so the next command asks again')
    .option('--url <url>', 'the gateway whose pin to show or reset')
    .option('--state-dir <dir>', 'state directory (default: TETHER_STATE_DIR or ~/.tether)')
    .option('--json', 'print JSON')
    .action(
      action(async (flags) => {
        const [{ TlsPinStore }, { resolveStateDir }, { join }, { CLI_TLS_PINS_FILE }] = await Promise.all([
          import('@tether/pairing'),
          import('@tether/gateway/state-dir'),
          import('node:path'),
          import('../gateway-target.js'),
        ]);
        const store = new TlsPinStore(join(resolveStateDir(flags.stateDir), CLI_TLS_PINS_FILE));
        if (flags.reset) {
          const removed = await store.reset(flags.url);
          if (flags.json) return printJson({ removed });
          printLines([removed > 0 ? `Removed ${removed} pin(s).` : `No pin to remove${flags.url ? ` for ${flags.url}` : ''}.`]);
          return;
        }
        const pins = store.list().filter((pin) => flags.url === undefined || pin.url === flags.url);
        if (flags.json) return printJson(pins.map(({ url, fingerprint, pinnedAtMs }) => ({ url, fingerprint, pinnedAtMs })));
        if (pins.length === 0) printLines(['No gateway certificate pinned yet.']);
        for (const pin of pins) printLines([pin.url, `  SHA-256 ${formatFingerprint(pin.fingerprint)}`]);
      }),
    );

  registerServiceCommands(gateway, 'gateway', async () => resolveStateDir(undefined));

  withServiceLocationOptions(withConnectionOptions(gateway.command('status').description('what the running gateway is doing (--service: the installed service)')).option('--service', 'report the installed service (file, enabled, active) instead')).action(
    action(async (flags) => {
      if (flags.service) return runServiceStatus('gateway', flags);
      const status = await withGateway(flags, ['operator.read'], (client) => client.request<StatusResult>('status', {}));
      if (flags.json) return printJson(status);
      // The gateway answering may be remote (--url): its strings are printed escaped like any other party's.
      printLines(
        [
          `Gateway ${status.version} (pid ${status.pid}) on ${status.listen.host}:${status.listen.port}, up ${Math.round(status.uptimeMs / 1000)} s`,
          `State:       ${status.stateDir}`,
          `Nodes:       ${status.nodes.connected} connected / ${status.nodes.paired} paired`,
          `Connections: ${status.connections.operators} operator(s), ${status.connections.nodes} node(s)`,
          `Pending:     ${status.pendingPairings} pairing request(s)${status.pendingPairings > 0 ? ' — see `tether devices list`' : ''}`,
          `In flight:   ${status.invokesInFlight} invoke(s)`,
          `Loopback nodes are ${status.autoApproveLoopback ? 'approved silently' : 'approved by hand'}`,
          `TLS:         ${status.tls === undefined ? 'not reported by this gateway' : status.tls.fingerprint ? `on, certificate SHA-256 ${formatFingerprint(status.tls.fingerprint)}` : 'off (plain ws://; loopback only by default)'}`,
          `Discovery:   ${status.discovery ? `mDNS ${status.discovery.summary}` : 'not reported by this gateway'}`,
          `Channels:    ${describeChannels(status.channels)}`,
          `Config:      ${describeConfig(status.config)}`,
        ],
      );
    }),
  );
  return gateway;
}

/** The config line of `status`: never silent about a file the gateway could not load. */
export function describeConfig(config: StatusResult['config']): string {
  if (!config) return 'not reported by this gateway';
  const pending = config.restartRequired?.length ? `; restart the gateway to apply ${config.restartRequired.join(', ')}` : '';
  if (config.ok) return `ok${pending}`;
  return `INVALID since ${new Date(config.since).toISOString()}, the last good configuration is in force: ${config.error ?? 'unknown error'}${pending}`;
}

export function healthCommand(): Command {
  return withConnectionOptions(new Command('health').description('is the gateway up and answering?')).action(
    action(async (flags) => {
      const health = await withGateway(flags, ['operator.read'], (client) => client.request<HealthResult>('health', {}));
      if (flags.json) return printJson(health);
      const channels = health.channels && health.channels.length > 0 ? ` · channels: ${describeChannels(health.channels)}` : '';
      printLines([`ok · up ${Math.round(health.uptimeMs / 1000)} s · nodes ${health.nodes.connected}/${health.nodes.paired} connected · ${health.pendingPairings} pending${channels}`]);
      if (health.config && !health.config.ok) printLines([`config: ${describeConfig(health.config)}`]);
    }),
  );
}

function mdnsOverride(value: unknown): { mdns?: MdnsMode } {
  try {
    const mdns = parseMdnsFlag(value);
    return mdns ? { mdns } : {};
  } catch (error) {
    if (error instanceof MdnsFlagError) throw usageError(error.message);
    throw error;
  }
}

function parseTlsMode(value: string): boolean | 'auto' {
  if (value === 'on') return true;
  if (value === 'off') return false;
  if (value === 'auto') return 'auto';
  throw usageError(`--tls takes on, off or auto, got "${value}"`);
}
