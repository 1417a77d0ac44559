/** Jittered exponential backoff: 1 s doubling to 30 s, ±20 % so a fleet of nodes does not reconnect in step. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  jitter?: number;
  random?: () => number;
}

export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 30_000;
  const jitter = options.jitter ?? 0.2;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt, 30)));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(max, base + spread)));
}
