/**
 * Asking an operator on the gateway before a run the policy does not cover by itself. The node asks
 * for the exact argv, cwd and binary it is about to run; a yes covers that one run (and, for
 * allow-always, puts the binary on the allowlist under the name it was invoked as, with every
 * argument allowed). Everything else is a denial that names the rule
 * and the owner's command that would allow the binary without asking.
 */
import {
  createValidator,
  ExecApprovalRequestResultSchema,
  formatArgv,
  safeText,
  shellQuote,
  type ExecApprovalRequestParams,
  type ExecApprovalRequestResult,
} from '@tether/protocol';
import { CommandError, CommandErrorCode } from '../capabilities/capability.js';
import type { ExecDecision } from './evaluate.js';

/**
 * Sends `exec.approval.request` to the gateway and resolves with its answer (validated here: it came
 * off the wire), or rejects when the gateway could not be asked.
 */
export type AskGateway = (request: ExecApprovalRequestParams) => Promise<unknown>;

export type AskDecision = Extract<ExecDecision, { action: 'ask' }>;

/** Why an ask ended without a yes; `rule` in the error details. */
export type AskDenialRule = 'ask=on-miss' | 'ask=always' | 'ask-unavailable';
export type AskOutcome = 'denied' | 'expired' | 'node-disconnected' | 'unavailable' | 'cancelled';

const askResult = createValidator(ExecApprovalRequestResultSchema);

export interface AskOperatorInput {
  askGateway: AskGateway | undefined;
  decision: AskDecision;
  request: ExecApprovalRequestParams;
  signal: AbortSignal;
}

/**
 * Resolves with the operator's yes ('allow-once' | 'allow-always'); throws CommandError EXEC_DENIED
 * for every other ending. Never resolves after `signal` aborts.
 */
export async function askOperator(input: AskOperatorInput): Promise<{ id: string; decision: 'allow-once' | 'allow-always' }> {
  const { askGateway, decision, request, signal } = input;
  const deny = (rule: AskDenialRule, outcome: AskOutcome, why: string, approvalId?: string): CommandError =>
    new CommandError(CommandErrorCode.EXEC_DENIED, askDeniedMessage(rule, why, request, decision, approvalId), {
      rule,
      outcome,
      ask: decision.ask,
      path: request.resolvedPath,
      ...(approvalId ? { approvalId } : {}),
    });

  if (!askGateway) {
    throw deny('ask-unavailable', 'unavailable', `${shellQuote(request.resolvedPath)} needs an operator's approval (${decision.rule}), but this node has no gateway link to ask through`);
  }
  if (signal.aborted) throw deny(decision.rule, 'cancelled', `the run was cancelled before an operator was asked (${safeText(reasonText(signal.reason))})`);

  let answer: unknown;
  let onAbort: (() => void) | undefined;
  try {
    answer = await Promise.race([
      askGateway(request),
      // The invoke's deadline or a cancel ends the wait; a late yes must not start anything.
      new Promise<never>((_, reject) => {
        onAbort = () => reject(deny(decision.rule, 'cancelled', `the run was cancelled (${safeText(reasonText(signal.reason))}) before an operator answered`));
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw deny('ask-unavailable', 'unavailable', `${shellQuote(request.resolvedPath)} needs an operator's approval (${decision.rule}), but asking the gateway failed: ${safeText(reasonText(error))}`);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }

  if (!askResult.check(answer)) {
    throw deny('ask-unavailable', 'unavailable', `the gateway's answer to the approval request is malformed (${safeText(askResult.lastError())}), so nothing runs`);
  }
  const result: ExecApprovalRequestResult = answer;
  if (result.decision === 'allow-once' || result.decision === 'allow-always') return { id: result.id, decision: result.decision };
  if (result.reason === 'expired') {
    const ttl = result.ttlMs !== undefined ? ` after ${formatSeconds(result.ttlMs)}` : '';
    throw deny(decision.rule, 'expired', `approval expired${ttl} with no answer from an operator`, result.id);
  }
  if (result.reason === 'node-disconnected') {
    throw deny(decision.rule, 'node-disconnected', `approval dropped because this node's connection to the gateway closed`, result.id);
  }
  throw deny(decision.rule, 'denied', 'approval denied by an operator', result.id);
}

/**
 * One line: the rule, what happened, what was asked, and the owner's command that avoids asking.
 * argv, cwd and path come from the caller, so they are rendered terminal-safe.
 */
export function askDeniedMessage(
  rule: AskDenialRule,
  why: string,
  request: Pick<ExecApprovalRequestParams, 'argv' | 'cwd' | 'resolvedPath'>,
  decision: Pick<AskDecision, 'fix'>,
  approvalId?: string,
): string {
  const where = request.cwd ? ` in ${shellQuote(request.cwd)}` : '';
  const id = approvalId ? `; approval ${safeText(approvalId)}` : '';
  return (
    `exec denied by rule ${rule}: ${why} (command: ${formatArgv(request.argv)}${where}${id}). ` +
    `To let ${shellQuote(request.resolvedPath)} run without asking, on the node run: ${decision.fix}`
  );
}

/** 60000 → "60 s", 1500 → "1.5 s". */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(1))} s`;
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}
