/**
 * Pending exec approvals. A node asks for one exact run; the approval lives until an operator
 * answers, it expires, or the asking connection goes away, and it is answered exactly once. Ids are
 * random UUIDs and an answered id is forgotten at once, so a decision can never reach another run.
 * What was decided is remembered in memory for `exec.approval.history`: the last N entries (expiries
 * and drops too), bounded in count and in characters, so a node asking with huge argvs cannot grow it.
 */
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  formatArgv,
  safeLabel,
  EXEC_APPROVAL_DEFAULT_TTL_MS,
  EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS,
  EXEC_APPROVAL_HISTORY_LIMIT,
  EXEC_APPROVAL_HISTORY_MAX_CHARS,
  EXEC_APPROVAL_MAX_PENDING_PER_NODE,
  GatewayError,
  type ExecApproval,
  type ExecApprovalDecision,
  type ExecApprovalHistoryEntry,
  type ExecApprovalReason,
  type ExecApprovalRequestParams,
  type ExecApprovalRequestResult,
  type ExecApprovalResolveResult,
  type ExecApprovalResolvedEvent,
} from '@tether/protocol';

/** The connection that asked; approvals die with it. `Connection` satisfies this. */
export interface ApprovalOwner {
  readonly isOpen: boolean;
}

/** Where the registry announces approvals; the gateway's Broadcaster satisfies this. */
export interface ApprovalBroadcaster {
  broadcast(event: string, payload: unknown, audience: { scope: string }): void;
}

export interface ExecApprovalRegistryOptions {
  broadcaster?: ApprovalBroadcaster;
  log?: { info(message: string): void };
  /** Longest an approval waits; a request's timeoutMs may only shorten it. */
  defaultTtlMs?: number;
  maxPendingPerNode?: number;
  /** How often to look for approvals whose node has disconnected. */
  sweepIntervalMs?: number;
  now?: () => number;
  /** Decided approvals kept for the history (default EXEC_APPROVAL_HISTORY_LIMIT). */
  historyLimit?: number;
  /** Characters of argv/cwd/program the history keeps in all (default EXEC_APPROVAL_HISTORY_MAX_CHARS). */
  historyMaxChars?: number;
}

export interface NewApproval {
  nodeId: string;
  displayName?: string;
  owner: ApprovalOwner;
  params: ExecApprovalRequestParams;
}

interface Pending {
  approval: ExecApproval;
  owner: ApprovalOwner;
  ttlMs: number;
  timer: NodeJS.Timeout;
  answer: (result: ExecApprovalRequestResult) => void;
}

/** The catalogue's APPROVAL_NOT_FOUND, under the INVALID_REQUEST wire code clients already branch on. */
export function approvalNotFound(id: string): GatewayError {
  return new GatewayError({
    code: ErrorCode.INVALID_REQUEST,
    message: `unknown or expired exec approval id ${id}: it was answered, expired, or its node disconnected; run \`tether approvals list\` to see the pending ones`,
    details: { code: ErrorCode.APPROVAL_NOT_FOUND, id },
  });
}

export class ExecApprovalRegistry {
  static readonly AUDIENCE = { scope: 'operator.approvals' } as const;

  private readonly pending = new Map<string, Pending>();
  private readonly requestListeners = new Set<(approval: ExecApproval) => void>();
  private readonly resolvedListeners = new Set<(event: ExecApprovalResolvedEvent) => void>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly defaultTtlMs: number;
  private readonly maxPendingPerNode: number;
  private readonly sweepIntervalMs: number;
  private readonly now: () => number;
  /** Decided approvals, oldest first, with the characters each holds. */
  private readonly decided: { entry: ExecApprovalHistoryEntry; chars: number }[] = [];
  private decidedChars = 0;
  private readonly historyLimit: number;
  private readonly historyMaxChars: number;

  constructor(private readonly options: ExecApprovalRegistryOptions = {}) {
    this.defaultTtlMs = options.defaultTtlMs ?? EXEC_APPROVAL_DEFAULT_TTL_MS;
    this.maxPendingPerNode = options.maxPendingPerNode ?? EXEC_APPROVAL_MAX_PENDING_PER_NODE;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.historyLimit = options.historyLimit ?? EXEC_APPROVAL_HISTORY_LIMIT;
    this.historyMaxChars = options.historyMaxChars ?? EXEC_APPROVAL_HISTORY_MAX_CHARS;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Opens an approval and announces it. `decision` settles once: on the operator's answer, at
   * expiry (deny, reason expired), or when the owner disconnects (deny, reason node-disconnected).
   */
  request(input: NewApproval): { approval: ExecApproval; decision: Promise<ExecApprovalRequestResult> } {
    this.sweep();
    const open = [...this.pending.values()].filter((p) => p.approval.nodeId === input.nodeId).length;
    if (open >= this.maxPendingPerNode) {
      throw new GatewayError({
        code: ErrorCode.UNAVAILABLE,
        message: `this node already has ${open} exec approvals waiting for an operator (the limit); wait for answers (\`tether approvals list\`) and retry`,
        details: { code: 'APPROVALS_PENDING_LIMIT', limit: this.maxPendingPerNode },
        retryable: true,
      });
    }
    const createdAtMs = this.now();
    const ttlMs = Math.min(this.defaultTtlMs, input.params.timeoutMs);
    const approval: ExecApproval = {
      id: randomUUID(),
      nodeId: input.nodeId,
      ...(input.displayName ? { displayName: input.displayName } : {}),
      command: input.params.command,
      argv: [...input.params.argv],
      ...(input.params.cwd !== undefined ? { cwd: input.params.cwd } : {}),
      resolvedPath: input.params.resolvedPath,
      createdAtMs,
      expiresAtMs: createdAtMs + ttlMs,
    };
    const decision = new Promise<ExecApprovalRequestResult>((answer) => {
      const timer = setTimeout(() => this.finish(approval.id, 'deny', 'expired'), ttlMs);
      timer.unref();
      this.pending.set(approval.id, { approval, owner: input.owner, ttlMs, timer, answer });
    });
    this.startSweeping();
    this.options.log?.info(
      `exec approval ${approval.id} requested by ${safeLabel(input.displayName, 64, input.nodeId.slice(0, 12))}: ${formatArgv(approval.argv)} in ${safeLabel(approval.cwd, 4096)} (expires in ${ttlMs} ms)`,
    );
    this.options.broadcaster?.broadcast('exec.approval.requested', approval, ExecApprovalRegistry.AUDIENCE);
    for (const listener of this.requestListeners) listener(approval);
    return { approval, decision };
  }

  /** In-process listeners told of every new approval (the agent reports its own runs as pending). */
  onRequested(listener: (approval: ExecApproval) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** In-process listeners told of every answer, expiry and drop (chat channels update their messages). */
  onResolved(listener: (event: ExecApprovalResolvedEvent) => void): () => void {
    this.resolvedListeners.add(listener);
    return () => this.resolvedListeners.delete(listener);
  }

  /** One pending approval, or undefined. */
  get(id: string): ExecApproval | undefined {
    this.sweep();
    return this.pending.get(id)?.approval;
  }

  /** Pending approvals, oldest first. */
  list(): ExecApproval[] {
    this.sweep();
    return [...this.pending.values()].map((p) => p.approval).sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** Decided approvals, newest first (at most `limit`). */
  history(limit = this.historyLimit): ExecApprovalHistoryEntry[] {
    this.sweep();
    return this.decided.slice(-Math.max(0, limit)).reverse().map(({ entry }) => entry);
  }

  /**
   * An operator's answer; `decidedBy` says who, for the history (the caller's description of them).
   * Unknown, answered, expired or orphaned ids throw APPROVAL_NOT_FOUND.
   */
  resolve(id: string, decision: ExecApprovalDecision, decidedBy?: string): ExecApprovalResolveResult {
    this.sweep();
    const entry = this.pending.get(id);
    if (!entry) throw approvalNotFound(id);
    const resolvedAtMs = this.finish(id, decision, 'operator', decidedBy);
    return { ...entry.approval, decision, resolvedAtMs };
  }

  /** Drops every approval of a connection that closed (also found by the periodic sweep). */
  dropOwner(owner: ApprovalOwner): number {
    let dropped = 0;
    for (const [id, entry] of this.pending) {
      if (entry.owner !== owner) continue;
      this.finish(id, 'deny', 'node-disconnected');
      dropped++;
    }
    return dropped;
  }

  /** Denies everything still pending (gateway shutdown) and stops the timers. */
  close(): void {
    for (const id of [...this.pending.keys()]) this.finish(id, 'deny', 'node-disconnected');
    this.stopSweeping();
  }

  private finish(id: string, decision: ExecApprovalDecision, reason: ExecApprovalReason, decidedBy?: string): number {
    const entry = this.pending.get(id);
    const ts = this.now();
    if (!entry) return ts;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (this.pending.size === 0) this.stopSweeping();
    this.remember(entry.approval, decision, reason, ts, decidedBy);
    entry.answer({ id, decision, reason, ttlMs: entry.ttlMs });
    const event: ExecApprovalResolvedEvent = { id, nodeId: entry.approval.nodeId, decision, reason, ts };
    this.options.log?.info(`exec approval ${id}: ${decision} (${reason})`);
    this.options.broadcaster?.broadcast('exec.approval.resolved', event, ExecApprovalRegistry.AUDIENCE);
    for (const listener of this.resolvedListeners) listener(event);
    return ts;
  }

  /** Adds a decided approval to the history, dropping the oldest lapsed one (else the oldest) beyond the count and character bounds. */
  private remember(approval: ExecApproval, decision: ExecApprovalDecision, reason: ExecApprovalReason, resolvedAtMs: number, decidedBy: string | undefined): void {
    if (this.historyLimit <= 0) return;
    const kept = keptForHistory(approval);
    const entry: ExecApprovalHistoryEntry = {
      ...kept.approval,
      decision,
      reason,
      resolvedAtMs,
      ...(reason === 'operator' && decidedBy ? { decidedBy: decidedBy.slice(0, 512) } : {}),
      ...(kept.truncated ? { truncated: true as const } : {}),
    };
    const chars = kept.chars + (entry.decidedBy?.length ?? 0) + (entry.displayName?.length ?? 0);
    this.decided.push({ entry, chars });
    this.decidedChars += chars;
    while (this.decided.length > this.historyLimit || (this.decided.length > 1 && this.decidedChars > this.historyMaxChars)) {
      // Expiries and drops go first: a node asking with tiny timeouts must not push the record of
      // who approved what out of the history (attacker's review of the Control UI).
      const lapsed = this.decided.findIndex(({ entry: kept }) => kept.reason !== 'operator');
      const [dropped] = this.decided.splice(lapsed >= 0 ? lapsed : 0, 1);
      this.decidedChars -= dropped!.chars;
    }
  }

  /** A closed socket cannot receive its answer, so its approvals must not stay listed or answerable. */
  private sweep(): void {
    for (const entry of [...this.pending.values()]) {
      if (!entry.owner.isOpen) this.dropOwner(entry.owner);
    }
  }

  private startSweeping(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.sweeper.unref();
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** Characters of an approval's argv, cwd and program; each argument counts one more, so 4,096 empty ones are not free. */
function approvalChars(approval: ExecApproval): number {
  return approval.argv.reduce((sum, arg) => sum + arg.length + 1, 0) + (approval.cwd?.length ?? 0) + approval.resolvedPath.length;
}

/**
 * The approval as the history keeps it: whole when its argv, cwd and program fit in
 * EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS, else with its argv cut there (and marked truncated). cwd and
 * program are at most 4096 characters each by the schema, so they always stay whole.
 */
function keptForHistory(approval: ExecApproval): { approval: ExecApproval; chars: number; truncated: boolean } {
  const chars = approvalChars(approval);
  if (chars <= EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS) return { approval, chars, truncated: false };
  let room = Math.max(1, EXEC_APPROVAL_HISTORY_ENTRY_MAX_CHARS - (approval.cwd?.length ?? 0) - approval.resolvedPath.length);
  const argv: string[] = [];
  for (const arg of approval.argv) {
    if (room <= 0) break;
    argv.push(arg.slice(0, room));
    room -= Math.min(arg.length, room) + 1;
  }
  const cut = { ...approval, argv };
  return { approval: cut, chars: approvalChars(cut), truncated: true };
}
