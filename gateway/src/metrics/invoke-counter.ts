/**
 * Invokes per minute for `status`: a ring of one-second buckets over the last 60 s, plus totals since
 * start. O(1) per invoke and a fixed 60 numbers of memory, however busy the gateway is.
 */
const BUCKETS = 60;

export interface InvokeCounts {
  total: number;
  failed: number;
  /** Invokes that finished in the last 60 seconds. */
  lastMinute: number;
  /** lastMinute / 60, rounded to two decimals. */
  perSecond: number;
}

export class InvokeCounter {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  /** The second each bucket last counted (a bucket of an older second is stale and reads as 0). */
  private readonly seconds = new Array<number>(BUCKETS).fill(-1);
  private total = 0;
  private failed = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(ok: boolean): void {
    const second = Math.floor(this.now() / 1000);
    const slot = second % BUCKETS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]!++;
    this.total++;
    if (!ok) this.failed++;
  }

  read(): InvokeCounts {
    const second = Math.floor(this.now() / 1000);
    let lastMinute = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const at = this.seconds[slot]!;
      if (at > second - BUCKETS && at <= second) lastMinute += this.counts[slot]!;
    }
    return { total: this.total, failed: this.failed, lastMinute, perSecond: Math.round((lastMinute / BUCKETS) * 100) / 100 };
  }
}
