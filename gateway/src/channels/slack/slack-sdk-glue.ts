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
export function boltLoggerFor(log: Logger, clean: (text: string) => string) {
  const line = (parts: unknown[]) => clean(`slack sdk: ${parts.map((p) => errorText(p)).join(' ')}`);
  return {
    debug: () => undefined,
    info: (...parts: unknown[]) => log.debug(line(parts)),
    warn: (...parts: unknown[]) => log.warn(line(parts)),
    error: (...parts: unknown[]) => log.warn(line(parts)),
    setLevel: () => undefined,
    getLevel: () => 'info' as never,
    setName: () => undefined,
  };
}
