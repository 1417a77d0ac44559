/** What `tether nodes list` and `tether nodes describe` show; pure, so it is tested without a gateway. */
import { safeLabel, type NodeInfo } from '@tether/protocol';
import { DUPLICATE_MARK, findDuplicateNames, isDuplicateName } from '../duplicate-names.js';
import { ago, formatTable } from '../output.js';

function approval(node: NodeInfo): string {
  const request = node.pendingRequestId ? ` (${node.pendingRequestId.slice(0, 8)})` : '';
  return node.paired ? `${node.approvalState}${request}` : `NOT PAIRED${request}`;
}

function duplicateWarnings(nodes: readonly NodeInfo[]): string[] {
  const groups = findDuplicateNames(nodes.map((node) => ({ id: node.nodeId, name: node.displayName, node })));
  return [...groups.values()].map((group) => {
    const who = group
      .map(({ node }) => `${node.nodeId.slice(0, 12)} (${node.paired ? 'paired' : 'NOT paired'}, ${node.connected ? 'connected' : 'offline'})`)
      .join(', ');
    const pick = group.find(({ node }) => node.paired)?.node ?? group[0]!.node;
    return (
      `warning: ${group.length} nodes are named "${safeLabel(group[0]!.name)}": ${who}. A device picks its own name: ` +
      `pass an id prefix (e.g. --node ${pick.nodeId.slice(0, 12)}), and compare verification codes in \`tether devices list\` before approving anything.`
    );
  });
}

export function nodesListView(nodes: readonly NodeInfo[]): string[] {
  if (nodes.length === 0) return ['No nodes yet. Start one with `tether node run --url <gateway url>` and approve it with `tether devices approve`.'];
  const duplicates = findDuplicateNames(nodes.map((node) => ({ id: node.nodeId, name: node.displayName })));
  const table = formatTable(
    ['NODE', 'NAME', 'PLATFORM', 'STATUS', 'APPROVAL', 'COMMANDS', 'SEEN'],
    nodes.map((n) => [
      n.nodeId.slice(0, 12),
      `${safeLabel(n.displayName)}${isDuplicateName(duplicates, n.displayName) ? ` ${DUPLICATE_MARK}` : ''}`,
      safeLabel(n.platform, 32),
      n.connected ? 'connected' : 'offline',
      approval(n),
      n.commands.join(',') || '-',
      n.connected ? 'now' : ago(n.lastSeenAtMs),
    ]),
  );
  const warnings = duplicateWarnings(nodes);
  return warnings.length > 0 ? [...table, '', ...warnings] : table;
}

export function nodeDetailsView(info: NodeInfo): string[] {
  const rows: [string, string][] = [
    ['ID', info.nodeId],
    ['Name', info.displayName ?? '-'],
    ['Platform', `${info.platform ?? '-'}${info.deviceFamily ? ` (${info.deviceFamily})` : ''}`],
    ['Client', `${info.clientId ?? '-'}/${info.clientMode ?? '-'} ${info.version ?? ''}`.trim()],
    ['Status', `${info.paired ? 'paired' : 'NOT paired'} · ${info.connected ? 'connected' : 'offline'}`],
    ['Approval', info.approvalState + (info.pendingRequestId ? ` (request ${info.pendingRequestId})` : '')],
    ['Address', info.remoteIp ?? '-'],
    ['Caps', info.caps.join(', ') || '-'],
    ['Commands', info.commands.join(', ') || '-'],
  ];
  // formatTable escapes each value, so a name with a line break stays on its own row.
  return formatTable(['', ''], rows).slice(1);
}
