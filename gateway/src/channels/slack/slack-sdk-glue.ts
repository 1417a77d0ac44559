/**
 * The small pieces between Bolt and this project: Bolt's logger interface onto ours (redacted, debug
 * dropped), the Web API error code of a failure, a timeout for a promise Bolt gives no deadline, and a
 * receiver that receives nothing (an App used only to send).
 */
import type { Logger } from '../../log.js';

/** The `error` of a Web API error response (`invalid_auth`, `msg_too_long`, …). */
export function platformError(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A receiver that receives nothing, for an App used only to send. */
export function inertReceiver() {
  return { init: () => undefined, start: async () => undefined, stop: async () => undefined } as never;
}

/**
 * Bolt's logger interface onto ours. Debug output is dropped (it holds raw payloads: message text and
 * envelope URLs); info goes to debug, warnings and errors to warn; every line redacted and made inert.
 */
export function boltLoggerFor(log: Logger, clean: (text: string) => string, now: () => number = Date.now) {
  const line = (parts: unknown[]) => clean(`slack sdk: ${parts.map((p) => errorText(p)).join(' ')}`);
  // HTTP mode: anyone who can reach the receiver can send unsigned requests, each refused with a
  // warning; at most one such line a minute reaches the log (with how many were left out).
  let refusedAtMs = -Infinity;
  let leftOut = 0;
  const warn = (parts: unknown[]) => {
    const text = line(parts);
    if (!/verif|signature/i.test(text)) return log.warn(text);
    if (now() - refusedAtMs < 60_000) return void leftOut++;
    log.warn(leftOut > 0 ? `${text} (and ${leftOut} more refused requests in the last minute)` : text);
    refusedAtMs = now();
    leftOut = 0;
  };
  return {
    debug: () => undefined,
    info: (...parts: unknown[]) => log.debug(line(parts)),
    warn: (...parts: unknown[]) => warn(parts),
    error: (...parts: unknown[]) => warn(parts),
    setLevel: () => undefined,
    getLevel: () => 'info' as never,
    setName: () => undefined,
  };
}
