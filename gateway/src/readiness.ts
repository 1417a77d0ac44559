/**
 * Whether the gateway can do its job right now: the pairing store reads and a test write succeeds.
 * Probes come from load balancers and supervisors every few seconds, so one result serves for a second
 * and concurrent probes share one check (a flood of /readyz must not become a flood of fsyncs).
 */
import type { PairingStore } from '@tether/pairing';

export type ReadyResult = { ok: true } | { ok: false; reason: string };

const CACHE_MS = 1_000;

export class ReadinessCheck {
  private last: { atMs: number; result: ReadyResult } | undefined;
  private running: Promise<ReadyResult> | undefined;

  constructor(
    private readonly store: Pick<PairingStore, 'checkReady'>,
    private readonly now: () => number = Date.now,
  ) {}

  check(): Promise<ReadyResult> {
    if (this.last && this.now() - this.last.atMs < CACHE_MS) return Promise.resolve(this.last.result);
    this.running ??= this.store
      .checkReady()
      .catch((error: unknown): ReadyResult => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }))
      .then((result) => {
        this.last = { atMs: this.now(), result };
        this.running = undefined;
        return result;
      });
    return this.running;
  }
}
