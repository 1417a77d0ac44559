/**
 * `tether approvals history`: the exec approvals decided lately (exec.approval.history, kept in the
 * gateway's memory since it started): when, how it ended, who answered, the node and the exact argv.
 */
import type { Command } from 'commander';
import { formatArgv, safeLabel, type ExecApprovalHistoryEntry, type ExecApprovalHistoryResult } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { ago, formatTable, printJson, printLines, usageError } from '../output.js';

export function outcomeOf(entry: Pick<ExecApprovalHistoryEntry, 'decision' | 'reason'>): string {
  if (entry.reason === 'expired') return 'expired (denied)';
  if (entry.reason === 'node-disconnected') return 'node went away';
  return entry.decision === 'allow-once' ? 'approved once' : entry.decision === 'allow-always' ? 'approved always' : 'denied';
}

export function approvalsHistoryView(entries: readonly ExecApprovalHistoryEntry[], now = Date.now()): string[] {
  if (entries.length === 0) return ['No exec approval decided since the gateway started (the history is kept in its memory).'];
  return formatTable(
    ['WHEN', 'OUTCOME', 'BY', 'NODE', 'COMMAND'],
    entries.map((entry) => [
      ago(entry.resolvedAtMs, now),
      outcomeOf(entry),
      entry.reason === 'operator' ? safeLabel(entry.decidedBy, 80, 'an operator') : '-',
      safeLabel(entry.displayName, 64, entry.nodeId.slice(0, 12)),
      `${formatArgv(entry.argv)}${entry.truncated ? ' … (cut in the history)' : ''}`,
    ]),
  );
}

export function addApprovalsHistory(approvals: Command): void {
  withConnectionOptions(
    approvals.command('history').description('exec approvals decided lately, newest first: how, by whom, when').option('--limit <n>', 'at most this many (1-200)', '50'),
  ).action(
    action(async (flags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw usageError('--limit must be a whole number from 1 to 200');
      const result = await withGateway(flags, ['operator.approvals'], (client) => client.request<ExecApprovalHistoryResult>('exec.approval.history', { limit }));
      if (flags.json) printJson(result);
      else printLines(approvalsHistoryView(result.entries));
    }),
  );
}
