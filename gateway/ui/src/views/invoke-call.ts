/**
 * One `node.invoke` from the invoke panel: a fresh idempotency key per press, the invoke's own deadline
 * sent to the gateway, and errors turned into a code and a message to show (through label()).
 *
 * The page's socket gives every request 15 s. An invoke may take longer (a clip, a run waiting for an
 * operator's approval), so when that local wait ends first the same invoke is asked for again with the
 * SAME idempotency key: the gateway joins the invoke still in flight (gateway/src/nodes/idempotency.ts)
 * instead of running the command twice, until the invoke's own deadline has passed.
 */
import type { UiContext } from '../ui-context.js';

export interface InvokeFailure {
  code: string;
  message: string;
}

export interface InvokeResult {
  ok: boolean;
  nodeId: string;
  command: string;
  payload?: unknown;
}

/** A socket error's code when the socket carries one (code / details.code), else a generic one. */
export function failureOf(error: unknown, fallback = 'FAILED'): InvokeFailure {
  const record = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; details?: { code?: unknown }; message?: unknown };
  const detail = typeof record.details?.code === 'string' ? record.details.code : undefined;
  const code = detail ?? (typeof record.code === 'string' ? record.code : undefined);
  const message = typeof record.message === 'string' ? record.message : String(error);
  // The node's own code leads its message ("EXEC_DENIED: …") when the socket passes only the text.
  const leading = /^([A-Z][A-Z0-9_]{2,40}): /.exec(message)?.[1];
  return { code: code ?? leading ?? fallback, message };
}

function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `ui-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** The local socket's own "no answer in 15 s" (gateway-socket.ts), as opposed to the gateway's TIMEOUT. */
function isLocalWaitOver(error: unknown): boolean {
  return error instanceof Error && /^node\.invoke got no answer in \d+ s$/.test(error.message);
}

/**
 * Invokes `command` on `nodeId` with `params`; resolves with the result's payload. `timeoutMs` is the
 * invoke's deadline on the gateway (covering an approval, then the run).
 */
export async function invoke(ctx: UiContext, nodeId: string, command: string, params: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
  const request = { nodeId, command, params, timeoutMs, idempotencyKey: randomKey() };
  // A little past the invoke's deadline, so the gateway's own TIMEOUT answer is the one shown.
  const giveUpAt = Date.now() + timeoutMs + 5_000;
  for (;;) {
    try {
      const result = await ctx.socket.request<InvokeResult>('node.invoke', request);
      return result.payload;
    } catch (error) {
      if (!isLocalWaitOver(error) || Date.now() >= giveUpAt || !ctx.socket.isOnline()) throw error;
      // Same key: joins the invoke in flight.
    }
  }
}
