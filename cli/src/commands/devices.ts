/** `tether devices …`: see, approve, reject and remove devices, and manage their tokens. */
import { Command } from 'commander';
import { CAPTURE_COMMANDS, type DevicePairListResult, type PendingRequestInfo } from '@tether/protocol';
import { resolveDeviceId } from '@tether/pairing';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { ago, CliError, printJson, printTable, usageError } from '../output.js';

async function listDevices(client: { request<T>(m: string, p?: unknown): Promise<T> }): Promise<DevicePairListResult> {
  return client.request<DevicePairListResult>('device.pair.list', {});
}

/** Accepts a full request id or a unique prefix of one, so people can type the first few characters. */
function resolveRequestId(pending: PendingRequestInfo[], value: string): string {
  const exact = pending.find((request) => request.requestId === value);
  if (exact) return exact.requestId;
  const matches = pending.filter((request) => request.requestId.startsWith(value));
  if (matches.length === 1) return matches[0]!.requestId;
  if (matches.length > 1) throw new CliError(`request id "${value}" is ambiguous: ${matches.map((m) => m.requestId).join(', ')}`);
  return value; // Let the gateway answer "unknown requestId" with its own hint.
}

function parseRole(value: unknown): 'node' | 'operator' {
  if (value === 'node' || value === 'operator') return value;
  throw usageError(`--role must be "node" or "operator", got "${String(value)}"`);
}

function printDevices(result: DevicePairListResult): void {
  process.stdout.write(`Pending (${result.pending.length})\n`);
  if (result.pending.length > 0) {
    printTable(
      ['REQUEST', 'DEVICE', 'NAME', 'ROLE', 'CODE', 'COMMANDS', 'IP', 'AGE', 'KIND'],
      result.pending.map((r) => [
        r.requestId,
        r.deviceId.slice(0, 12),
        r.displayName ?? '-',
        r.scopes.length > 0 ? `${r.role} (${r.scopes.join(',')})` : r.role,
        r.verificationCode ?? '-',
        r.commands.map((c) => (CAPTURE_COMMANDS.has(c) ? `${c}*` : c)).join(',') || '-',
        r.remoteIp ?? '-',
        ago(r.ts),
        r.isRepair ? `repair: ${r.reason}` : 'new pairing',
      ]),
    );
  }
  process.stdout.write(`\nPaired (${result.paired.length})\n`);
  if (result.paired.length > 0) {
    printTable(
      ['DEVICE', 'NAME', 'ROLES', 'COMMANDS', 'TOKENS', 'CONNECTED', 'LAST SEEN'],
      result.paired.map((d) => [
        d.deviceId.slice(0, 12),
        d.displayName ?? '-',
        d.roles.join(','),
        String(d.commands.length),
        d.tokens.map((t) => (t.revokedAtMs ? `${t.role} (revoked)` : t.role)).join(',') || '-',
        d.connected ? 'yes' : 'no',
        ago(d.lastSeenAtMs),
      ]),
    );
  }
  if (result.pending.length > 0) {
    if (result.pending.some((r) => r.commands.some((c) => CAPTURE_COMMANDS.has(c)))) {
      process.stdout.write('\n* captures people or their location; leave any of them out with: tether devices approve <request> --without camera.snap …\n');
    }
    process.stdout.write(`\nApprove with: tether devices approve <request>\n`);
  }
}

export function devicesCommand(): Command {
  const devices = new Command('devices').description('pair and manage devices (nodes and operator devices)');

  withConnectionOptions(devices.command('list').description('pending pairing requests and paired devices')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.pairing'], (client) => listDevices(client));
      if (flags.json) printJson(result);
      else printDevices(result);
    }),
  );

  withConnectionOptions(
    devices
      .command('approve <requestId>')
      .description('approve a device and the commands it declared, in one step')
      .option('--without <commands...>', 'leave these commands out of the approved surface'),
  ).action(
    action(async (flags, requestId: string) => {
      const without = flags.without as string[] | undefined;
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const id = resolveRequestId((await listDevices(client)).pending, requestId);
        return client.request<{ requestId: string; device: { deviceId: string; displayName?: string; commands: string[] } }>('device.pair.approve', {
          requestId: id,
          ...(without ? { without } : {}),
        });
      });
      if (flags.json) printJson(result);
      else {
        const d = result.device;
        process.stdout.write(`Approved ${d.displayName ?? d.deviceId} (${d.deviceId.slice(0, 12)}), request ${result.requestId}\n`);
        process.stdout.write(`Commands: ${d.commands.join(', ') || 'none'}\n`);
        const capture = d.commands.filter((c) => CAPTURE_COMMANDS.has(c));
        if (capture.length > 0) {
          process.stdout.write(`It may capture people or their location with: ${capture.join(', ')} (to withdraw: tether devices remove, then approve again with --without)\n`);
        }
      }
    }),
  );

  withConnectionOptions(devices.command('reject <requestId>').description('reject a pending pairing request')).action(
    action(async (flags, requestId: string) => {
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const id = resolveRequestId((await listDevices(client)).pending, requestId);
        return client.request<PendingRequestInfo>('device.pair.reject', { requestId: id });
      });
      if (flags.json) printJson(result);
      else process.stdout.write(`Rejected request ${result.requestId} from ${result.displayName ?? result.deviceId}\n`);
    }),
  );

  withConnectionOptions(devices.command('remove <deviceId>').description('unpair a device and close its connections (id or unique prefix)')).action(
    action(async (flags, deviceId: string) => {
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const list = await listDevices(client);
        const id = resolveDeviceId(list.paired.map((d) => d.deviceId), deviceId);
        return client.request<{ deviceId: string; displayName?: string; disconnected: number }>('device.pair.remove', { deviceId: id });
      });
      if (flags.json) printJson(result);
      else process.stdout.write(`Removed ${result.displayName ?? result.deviceId} (${result.disconnected} connection(s) closed)\n`);
    }),
  );

  for (const verb of ['rotate', 'revoke'] as const) {
    withConnectionOptions(
      devices
        .command(verb)
        .description(verb === 'rotate' ? 'issue a new device token (the old one stops working)' : 'revoke a device token and close its connections; the device must be approved again')
        .requiredOption('--device <deviceId>', 'device id or unique prefix')
        .requiredOption('--role <role>', 'node or operator'),
    ).action(
      action(async (flags) => {
        const role = parseRole(flags.role);
        const result = await withGateway(flags, ['operator.pairing'], async (client) => {
          const list = await listDevices(client);
          const deviceId = resolveDeviceId(list.paired.map((d) => d.deviceId), String(flags.device));
          return client.request<Record<string, unknown>>(`device.token.${verb}`, { deviceId, role });
        });
        if (flags.json) printJson(result);
        else if (verb === 'rotate') process.stdout.write(`New ${role} token for ${String(result.deviceId)} (shown once):\n${String(result.token)}\n`);
        else process.stdout.write(`Revoked the ${role} token of ${String(result.deviceId)} (${String(result.disconnected)} connection(s) closed)\n`);
      }),
    );
  }
  return devices;
}
