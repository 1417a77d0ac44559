/**
 * Whether the gateway can do its job right now: the pairing store reads and a test write succeeds.
 * Probes come from load balancers and supervisors every few seconds, and from anyone who can reach the
 * port, so a probe never waits on the disk: it is answered from the last check, and a check older than
 * a second starts a new one in the background (one at a time). A flood of /readyz therefore costs at
 * most one fsync a second, and a failing store shows up at the next probe after it is noticed.
 */
import type { PairingStore } from '@tether/pairing';

export type ReadyResult = { ok: true } | { ok: false; reason: string };

const FRESH_MS = 1_000;

export class ReadinessCheck {
  private last: { atMs: number; result: ReadyResult } = { atMs: 0, result: { ok: false, reason: 'not checked yet' } };
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<PairingStore, 'checkReady'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The latest known result; refreshes it in the background when it is older than a second. */
  current(): ReadyResult {
    if (this.now() - this.last.atMs >= FRESH_MS) void this.refresh();
    return this.last.result;
  }

  /** Runs a check now (or joins the one running); the gateway awaits one at start. */
  refresh(): Promise<void> {
    this.running ??= this.store
      .checkReady()
      .catch((error: unknown): ReadyResult => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }))
      .then((result) => {
        this.last = { atMs: this.now(), result };
        this.running = undefined;
      });
    return this.running;
  }
}
