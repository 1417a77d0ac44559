/**
 * `tether devices setup-code`: a one-time code (OpenClaw's `oc-pair://` format) that pairs a node with no
 * step on the gateway: `tether node run --pair '<code>'` on the node. Printed as text and as a QR code
 * (the bare code, as OpenClaw's apps scan it). `list` and `revoke <id>` manage the codes made.
 *
 * `--url` is the gateway URL written into the code (the one nodes reach it at), not where this command
 * connects: that is the local gateway, or `--gateway-url`.
 */
import { Command } from 'commander';
import QRCode from 'qrcode';
import { safeLabel, type DeviceSetupCreateResult, type DeviceSetupListResult, type SetupCodeInfo } from '@tether/protocol';
import { action } from '../command-kit.js';
import { withGateway, type ConnectionFlags } from '../gateway-target.js';
import { ago, printJson, printLines, printRenderedArt, printTable, usageError } from '../output.js';

/** `10m`, `90s`, `1h`, `500ms`; a bare number is seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  const ms = match ? Math.round(Number(match[1]) * unit[(match[2] ?? 's') as keyof typeof unit]) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1_000 || ms > 24 * 3_600_000) {
    throw usageError(`--ttl takes a duration from 1s to 24h such as 10m, 90s or 1h, got "${value}"`);
  }
  return ms;
}

export function parseCommandList(value: string): string[] {
  const commands = value.split(',').map((command) => command.trim()).filter((command) => command !== '');
  const bad = commands.find((command) => !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(command));
  if (bad !== undefined) throw usageError(`--commands takes command names separated by commas (e.g. system.notify,camera.snap), got "${bad}"`);
  return [...new Set(commands)];
}

function connectionFlags(flags: Record<string, unknown>): ConnectionFlags {
  return {
    url: flags.gatewayUrl as string | undefined,
    token: flags.token as string | undefined,
    timeout: flags.timeout as string | undefined,
    stateDir: flags.stateDir as string | undefined,
    json: flags.json === true,
  };
}

/** Commander gives an option the parent also defines to the parent: subcommands read both. */
function definedFlags(flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

function withSetupConnection(command: Command): Command {
  return command
    .option('--json', 'print machine-readable JSON')
    .option('--gateway-url <url>', 'the gateway to ask (default: the local gateway)')
    .option('--token <token>', 'gateway token (default: TETHER_GATEWAY_TOKEN, or the local state dir)')
    .option('--timeout <ms>', 'how long to wait for the gateway, in milliseconds')
    .option('--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)');
}

async function qrText(code: string): Promise<string> {
  return QRCode.toString(code, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/** What minting needs (the gateway checks; asking for less keeps a paired operator device within its grant). */
function scopesToMint(commands: string[] | undefined): ('operator.pairing' | 'operator.write' | 'operator.admin')[] {
  const admin = /^(system\.(run|which|execApprovals)(\..*)?|browser\.proxy|(fs|file|dir|terminal)\..*)$/;
  if (commands === undefined || commands.some((command) => admin.test(command))) return ['operator.pairing', 'operator.write', 'operator.admin'];
  return commands.length > 0 ? ['operator.pairing', 'operator.write'] : ['operator.pairing'];
}

function describeCommands(commands: string[] | undefined): string {
  if (commands === undefined) return 'every command the node declares';
  return commands.length > 0 ? commands.join(', ') : 'no commands';
}

export function setupCodeCommand(): Command {
  const setup = withSetupConnection(
    new Command('setup-code')
      .description('make a one-time code that pairs a node with no approval step (tether node run --pair <code>)')
      .option('--ttl <duration>', 'how long the code stays valid (1s to 24h)', '10m')
      .option('--commands <list>', 'commands the node is approved for, comma-separated (default: every command it declares)')
      .option('--name <name>', 'the name the node gets once paired')
      .option('--url <url>', "the gateway URL written into the code, as nodes reach it (default: the gateway's own reachable URL)")
      .option('--no-qr', 'print the code without the QR code'),
  );
  setup.action(
    action(async (flags) => {
      const ttlMs = parseTtl(String(flags.ttl ?? '10m'));
      const commands = flags.commands === undefined ? undefined : parseCommandList(String(flags.commands));
      const name = flags.name === undefined ? undefined : String(flags.name);
      if (name !== undefined && (name.trim() === '' || name.length > 64)) throw usageError('--name takes 1 to 64 characters');
      const result = await withGateway(connectionFlags(flags), scopesToMint(commands), (client) =>
        client.request<DeviceSetupCreateResult>('device.setup.create', {
          ttlMs,
          ...(commands !== undefined && { commands }),
          ...(name !== undefined && { name }),
          ...(flags.url !== undefined && { url: String(flags.url) }),
        }),
      );
      if (flags.json) return printJson(result);
      const minutes = Math.max(1, Math.round((result.expiresAtMs - Date.now()) / 60_000));
      printLines([
        `Setup code ${result.id} (single use, valid for ${minutes} min, until ${new Date(result.expiresAtMs).toLocaleTimeString()}):`,
        '',
        `  ${result.uri}`,
        '',
      ]);
      // Our own output (ANSI colours for contrast), so written as is rather than escaped.
      if (flags.qr !== false) printRenderedArt(await qrText(result.code));
      printLines([
        `Gateway:  ${result.url}${result.tlsFingerprint ? `  (TLS SHA-256 ${result.tlsFingerprint})` : ''}`,
        `Commands: ${describeCommands(result.commands)}`,
        ...(result.name !== undefined ? [`Name:     ${safeLabel(result.name, 64, '')}`] : []),
        '',
        'On the node, run:',
        `  ${result.command}`,
        '',
        'Anyone holding this code can pair one node until it is used or expires; revoke it with',
        `  tether devices setup-code revoke ${result.id}`,
      ]);
    }),
  );

  withSetupConnection(setup.command('list').description('setup codes made on this gateway (finished ones for 7 days)')).action(
    action(async (own) => {
      const flags = { ...setup.opts(), ...definedFlags(own) };
      const result = await withGateway(connectionFlags(flags), ['operator.pairing'], (client) => client.request<DeviceSetupListResult>('device.setup.list', {}));
      if (flags.json) return printJson(result);
      if (result.codes.length === 0) return printLines(['No setup codes. Make one with: tether devices setup-code']);
      printTable(
        ['ID', 'Status', 'Made', 'Expires', 'Commands', 'Name', 'Redeemed by'],
        result.codes.map((code: SetupCodeInfo) => [
          code.id,
          code.status,
          ago(code.createdAtMs),
          new Date(code.expiresAtMs).toLocaleString(),
          describeCommands(code.commands),
          code.name ?? '',
          code.redeemedBy?.slice(0, 12) ?? '',
        ]),
      );
    }),
  );

  withSetupConnection(setup.command('revoke <id>').description('revoke a setup code (a node it already paired stays paired)')).action(
    action(async (own, id: string) => {
      const flags = { ...setup.opts(), ...definedFlags(own) };
      const result = await withGateway(connectionFlags(flags), ['operator.pairing'], (client) => client.request<SetupCodeInfo>('device.setup.revoke', { id }));
      if (flags.json) return printJson(result);
      printLines([
        `Revoked setup code ${result.id}${result.redeemedBy ? ` (it had paired ${result.redeemedBy.slice(0, 12)}, which stays paired: tether devices remove ${result.redeemedBy.slice(0, 12)} to unpair it)` : ''}`,
      ]);
    }),
  );
  return setup;
}
