/**
 * What `tether approvals` shows. The approver must see exactly what will run: argv goes through
 * protocol's `formatArgv` (pasteable shell quoting, and `$'…'` with visible escapes for any control or
 * bidi character), and is never shortened.
 */
import { formatArgv, safeLabel, safeText, type ExecApproval, type ExecApprovalResolveResult } from '@tether/protocol';
import { formatTable } from '../output.js';

export function expiresIn(expiresAtMs: number, now = Date.now()): string {
  const s = Math.max(0, Math.ceil((expiresAtMs - now) / 1000));
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

function nodeLabel(approval: Pick<ExecApproval, 'displayName' | 'nodeId'>): string {
  return safeLabel(approval.displayName, 64, approval.nodeId.slice(0, 12));
}

export function approvalsListView(approvals: readonly ExecApproval[], now = Date.now()): string[] {
  if (approvals.length === 0) return ['No exec approvals waiting.'];
  return [
    ...formatTable(
      ['ID', 'NODE', 'COMMAND', 'CWD', 'EXPIRES IN'],
      approvals.map((a) => [a.id.slice(0, 8), nodeLabel(a), formatArgv(a.argv), a.cwd ?? '-', expiresIn(a.expiresAtMs, now)]),
    ),
    '',
    'Allow with: tether approvals approve <id> [--always]   Refuse with: tether approvals deny <id>',
  ];
}

export function resolvedView(result: ExecApprovalResolveResult): string[] {
  const what = `${formatArgv(result.argv)} on ${nodeLabel(result)} (approval ${result.id})`;
  if (result.decision === 'deny') return [safeText(`Denied ${what}`)];
  if (result.decision === 'allow-once') return [safeText(`Allowed once: ${what}`)];
  return [
    safeText(`Allowed always: ${what}`),
    safeText(
      `${result.resolvedPath} is now on ${nodeLabel(result)}'s exec allowlist (it runs without asking from now on unless the node's policy is ask=always).`,
    ),
  ];
}
