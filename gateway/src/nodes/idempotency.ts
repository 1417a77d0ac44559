/**
 * `node.invoke` dedupe: a repeated idempotency key within 5 minutes gets the first outcome (or joins
 * the one still in flight) instead of running the command twice.
 */
import { IDEMPOTENCY_MAX, IDEMPOTENCY_TTL_MS } from '@tether/protocol';

interface Entry<T> {
  atMs: number;
  outcome: Promise<T>;
}

export class IdempotencyCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs = IDEMPOTENCY_TTL_MS,
    private readonly max = IDEMPOTENCY_MAX,
    private readonly now: () => number = Date.now,
    /** Failures the caller is told to retry must not be replayed to that retry. */
    private readonly forgetFailure: (error: unknown) => boolean = (error) => (error as { retryable?: boolean })?.retryable === true,
  ) {}

  run(key: string, start: () => Promise<T>): Promise<T> {
    const now = this.now();
    const existing = this.entries.get(key);
    if (existing && now - existing.atMs < this.ttlMs) return existing.outcome;
    const outcome = start();
    // Other rejections are replayed; the handler also keeps the cached promise from going unhandled.
    outcome.catch((error: unknown) => {
      if (this.forgetFailure(error) && this.entries.get(key)?.outcome === outcome) this.entries.delete(key);
    });
    this.entries.delete(key);
    this.entries.set(key, { atMs: now, outcome });
    this.prune(now);
    return outcome;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    // Map iteration is insertion order, so the oldest come first.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.max && now - entry.atMs < this.ttlMs) break;
      this.entries.delete(key);
    }
  }
}
