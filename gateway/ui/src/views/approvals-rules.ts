/**
 * How the page presents an exec approval, by the same rules as the chat channels
 * (gateway/src/channels/chat-approvals.ts): each argument shell-quoted (control, format and
 * line-separator characters as visible escapes), "Always" says what it grants and is not offered for
 * shells and interpreters, and an argv, folder or program too long to show whole is deny-only.
 */
import { alwaysWouldAllowAnything, programName } from '../../../../protocol/src/allow-always.js';
import { formatArgv, shellQuote, shownWhole } from '../../../../protocol/src/display.js';
import { label } from '../text.js';

export interface ExecApproval {
  id: string;
  nodeId: string;
  displayName?: string;
  command: string;
  argv: string[];
  cwd?: string;
  resolvedPath: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

export interface ApprovalHistoryEntry extends ExecApproval {
  decision: ApprovalDecision;
  reason: 'operator' | 'expired' | 'node-disconnected';
  resolvedAtMs: number;
  decidedBy?: string;
  truncated?: true;
}

/** Longest shell line shown; a longer argv is shown cut, and then only Deny is offered. */
export const MAX_ARGV_SHOWN = 4_000;
/** Longest cwd or program path shown (chat-approvals' MAX_PATH_SHOWN). */
export const MAX_PATH_SHOWN = 512;
/** Most arguments listed one by one. */
export const MAX_ARGS_LISTED = 64;

// A shell or interpreter gets no "Always" (it would allow any program): the rule chat approvals use.
export { alwaysWouldAllowAnything, programName as basename };

export interface Presented {
  /** The whole line, shell-quoted, as it can be pasted (cut when `cut`). */
  line: string;
  /** Each argument shell-quoted, at most MAX_ARGS_LISTED of them. */
  args: string[];
  node: string;
  cwd: string;
  program: string;
  /** Something could not be shown whole: only Deny is offered. */
  cut: boolean;
  noAlways: boolean;
}

/** The node's name and its short id: names are not unique, and the id is what the node proved. */
export function nodeName(approval: Pick<ExecApproval, 'displayName' | 'nodeId'>): string {
  const id = label(approval.nodeId.slice(0, 12));
  return approval.displayName ? `${label(approval.displayName, 64)} (${id})` : id;
}

export function present(approval: ExecApproval): Presented {
  const full = formatArgv(approval.argv);
  const cut =
    full.length > MAX_ARGV_SHOWN ||
    approval.argv.length > MAX_ARGS_LISTED ||
    !shownWhole(approval.cwd, MAX_PATH_SHOWN) ||
    !shownWhole(approval.resolvedPath, MAX_PATH_SHOWN);
  return {
    line: full.length > MAX_ARGV_SHOWN ? `${full.slice(0, MAX_ARGV_SHOWN - 1)}…` : full,
    args: approval.argv.slice(0, MAX_ARGS_LISTED).map((arg) => {
      const quoted = shellQuote(arg);
      return quoted.length > MAX_ARGV_SHOWN ? `${quoted.slice(0, MAX_ARGV_SHOWN - 1)}…` : quoted;
    }),
    node: nodeName(approval),
    cwd: approval.cwd ? label(approval.cwd, MAX_PATH_SHOWN) : '(its default folder)',
    program: label(approval.resolvedPath, MAX_PATH_SHOWN),
    cut,
    noAlways: alwaysWouldAllowAnything(approval),
  };
}

/** What a decided approval's line says. */
export function outcome(entry: Pick<ApprovalHistoryEntry, 'decision' | 'reason'>): string {
  if (entry.reason === 'expired') return 'Denied: nobody answered in time';
  if (entry.reason === 'node-disconnected') return 'Cancelled: the node went away';
  return entry.decision === 'allow-once' ? 'Approved once' : entry.decision === 'allow-always' ? 'Approved always' : 'Denied';
}

export function secondsLeft(approval: Pick<ExecApproval, 'expiresAtMs'>, now: number): number {
  return Math.max(0, Math.round((approval.expiresAtMs - now) / 1000));
}
