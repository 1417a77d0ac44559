/** `tether devices …`: see, approve, reject and remove devices, and manage their tokens. */
import { Command } from 'commander';
import { checkDisplayName, safeLabel, type DevicePairListResult, type PairedDeviceInfo, type PendingRequestInfo } from '@tether/protocol';
import { resolveDeviceId } from '@tether/pairing';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { CliError, printJson, printLines, usageError } from '../output.js';
import { pairedWithSameName, sameNameRefusal } from '../pairing-guard.js';
import { approvedView, devicesListView, type ApprovedDevice } from '../views/devices-view.js';
import { setupCodeCommand } from './setup-code.js';

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

export function devicesCommand(): Command {
  const devices = new Command('devices').description('pair and manage devices (nodes and operator devices)');

  withConnectionOptions(devices.command('list').description('pending pairing requests and paired devices')).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.pairing'], (client) => listDevices(client));
      if (flags.json) printJson(result);
      else printLines(devicesListView(result));
    }),
  );

  withConnectionOptions(
    devices
      .command('approve <requestId>')
      .description('approve a device and the commands it declared, in one step')
      .option('--without <commands...>', 'leave these commands out of the approved surface')
      .option('--allow-same-name', 'approve even though a different paired device has the same name (after comparing verification codes)'),
  ).action(
    action(async (flags, requestId: string) => {
      const without = flags.without as string[] | undefined;
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const list = await listDevices(client);
        const id = resolveRequestId(list.pending, requestId);
        const request = list.pending.find((r) => r.requestId === id);
        const namesakes = request ? pairedWithSameName(request, list.paired) : [];
        if (request && namesakes.length > 0 && flags.allowSameName !== true) throw sameNameRefusal(request, namesakes);
        return client.request<ApprovedDevice>('device.pair.approve', {
          requestId: id,
          ...(without ? { without } : {}),
        });
      });
      if (flags.json) printJson(result);
      else printLines(approvedView(result));
    }),
  );

  withConnectionOptions(devices.command('reject <requestId>').description('reject a pending pairing request')).action(
    action(async (flags, requestId: string) => {
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const id = resolveRequestId((await listDevices(client)).pending, requestId);
        return client.request<PendingRequestInfo>('device.pair.reject', { requestId: id });
      });
      if (flags.json) printJson(result);
      else printLines([`Rejected request ${result.requestId} from ${safeLabel(result.displayName, 64, result.deviceId)}`]);
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
      else printLines([`Removed ${safeLabel(result.displayName, 64, result.deviceId)} (${result.disconnected} connection(s) closed)`]);
    }),
  );

  withConnectionOptions(
    devices.command('rename <deviceId> <name>').description("give a paired device the name shown everywhere (it wins over the name the device declares); id or unique prefix"),
  ).action(
    action(async (flags, deviceId: string, name: string) => {
      // Checked here for a quick answer; the gateway checks again (it is the edge).
      const checked = checkDisplayName(name);
      if (!checked.ok) throw usageError(checked.message);
      const result = await withGateway(flags, ['operator.pairing'], async (client) => {
        const list = await listDevices(client);
        const id = resolveDeviceId(list.paired.map((d) => d.deviceId), deviceId);
        const before = list.paired.find((d) => d.deviceId === id)?.displayName;
        const device = await client.request<PairedDeviceInfo>('device.rename', { deviceId: id, displayName: checked.name });
        return { device, before };
      });
      if (flags.json) printJson(result.device);
      else printLines([`Renamed ${result.device.deviceId.slice(0, 12)} from ${safeLabel(result.before)} to ${safeLabel(result.device.displayName)}`]);
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
        else if (verb === 'rotate') printLines([`New ${role} token for ${String(result.deviceId)} (shown once):`, String(result.token)]);
        else printLines([`Revoked the ${role} token of ${String(result.deviceId)} (${String(result.disconnected)} connection(s) closed)`]);
      }),
    );
  }
  devices.addCommand(setupCodeCommand());
  return devices;
}
