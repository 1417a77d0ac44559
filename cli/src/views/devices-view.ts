/** What `tether devices list` and the approve/reject/remove commands show; pure, tested without a gateway. */
import { CAPTURE_COMMANDS, safeLabel, safeText, type DevicePairListResult, type PairedDeviceInfo, type PendingRequestInfo } from '@tether/protocol';
import { DUPLICATE_MARK, findDuplicateNames, isDuplicateName } from '../duplicate-names.js';
import { ago, formatTable } from '../output.js';

type Entry = { id: string; name: string | undefined } & ({ pending: PendingRequestInfo } | { paired: PairedDeviceInfo });

function describeEntry(entry: Entry): string {
  if ('paired' in entry) return `paired ${entry.id.slice(0, 12)}`;
  const r = entry.pending;
  return `pending request ${r.requestId.slice(0, 8)} from device ${entry.id.slice(0, 12)} (code ${safeLabel(r.verificationCode, 16)})`;
}

/** One warning per name used by more than one device: the owner must tell them apart by id and code. */
function duplicateWarnings(groups: Map<string, Entry[]>): string[] {
  return [...groups.values()].map(
    (group) =>
      `warning: "${safeLabel(group[0]!.name)}" is the name of ${new Set(group.map((e) => e.id)).size} devices: ${group.map(describeEntry).join('; ')}. ` +
      'Any device can call itself anything: approve a request only after its verification code matches the one shown on the device itself.',
  );
}

export function devicesListView(result: DevicePairListResult): string[] {
  const entries: Entry[] = [
    ...result.paired.map((d) => ({ id: d.deviceId, name: d.displayName, paired: d })),
    ...result.pending.map((r) => ({ id: r.deviceId, name: r.displayName, pending: r })),
  ];
  const duplicates = findDuplicateNames(entries);
  const name = (value: string | undefined) => `${safeLabel(value)}${isDuplicateName(duplicates, value) ? ` ${DUPLICATE_MARK}` : ''}`;
  const lines = [`Pending (${result.pending.length})`];
  if (result.pending.length > 0) {
    lines.push(
      ...formatTable(
        ['REQUEST', 'DEVICE', 'NAME', 'ROLE', 'CODE', 'COMMANDS', 'IP', 'AGE', 'KIND'],
        result.pending.map((r) => [
          r.requestId,
          r.deviceId.slice(0, 12),
          name(r.displayName),
          r.scopes.length > 0 ? `${r.role} (${r.scopes.join(',')})` : r.role,
          r.verificationCode ?? '-',
          r.commands.map((c) => (CAPTURE_COMMANDS.has(c) ? `${c}*` : c)).join(',') || '-',
          r.remoteIp ?? '-',
          ago(r.ts),
          r.isRepair ? `repair: ${r.reason}` : 'new pairing',
        ]),
      ),
    );
  }
  lines.push('', `Paired (${result.paired.length})`);
  if (result.paired.length > 0) {
    lines.push(
      ...formatTable(
        ['DEVICE', 'NAME', 'ROLES', 'COMMANDS', 'TOKENS', 'CONNECTED', 'LAST SEEN'],
        result.paired.map((d) => [
          d.deviceId.slice(0, 12),
          name(d.displayName),
          d.roles.join(','),
          String(d.commands.length),
          d.tokens.map((t) => (t.revokedAtMs ? `${t.role} (revoked)` : t.role)).join(',') || '-',
          d.connected ? 'yes' : 'no',
          ago(d.lastSeenAtMs),
        ]),
      ),
    );
  }
  if (duplicates.size > 0) lines.push('', ...duplicateWarnings(duplicates));
  if (result.pending.length > 0) {
    if (result.pending.some((r) => r.commands.some((c) => CAPTURE_COMMANDS.has(c)))) {
      lines.push('', '* captures people or their location; leave any of them out with: tether devices approve <request> --without camera.snap …');
    }
    lines.push('', 'Approve with: tether devices approve <request>, after checking that its CODE matches the one the device itself shows');
  }
  return lines.map(safeText);
}

export interface ApprovedDevice {
  requestId: string;
  device: { deviceId: string; displayName?: string; commands: string[] };
}

export function approvedView(result: ApprovedDevice): string[] {
  const d = result.device;
  const lines = [
    `Approved ${safeLabel(d.displayName, 64, d.deviceId)} (${d.deviceId.slice(0, 12)}), request ${result.requestId}`,
    `Commands: ${d.commands.join(', ') || 'none'}`,
  ];
  const capture = d.commands.filter((c) => CAPTURE_COMMANDS.has(c));
  if (capture.length > 0) {
    lines.push(`It may capture people or their location with: ${capture.join(', ')} (to withdraw: tether devices remove, then approve again with --without)`);
  }
  return lines.map(safeText);
}
