/**
 * Caps on sockets that have proved nothing yet (in their handshake) or only a key (held while their
 * pairing waits): per address bucket and in total. Paired devices and the owner are never counted, so
 * a flood of strangers cannot crowd them out; strangers beyond the cap are turned away with a retry hint.
 */
import { addressBucket } from '@tether/pairing';

export interface BudgetLimits {
  perAddress: number;
  total: number;
}

export class ConnectionBudget {
  private readonly byBucket = new Map<string, number>();
  private count = 0;

  constructor(readonly limits: BudgetLimits) {}

  get size(): number {
    return this.count;
  }

  /** Takes a slot for `ip`, or says which limit is full. The returned release is idempotent. */
  acquire(ip: string): { ok: true; release: () => void } | { ok: false; limit: 'per-address' | 'total' } {
    const bucket = addressBucket(ip);
    const used = this.byBucket.get(bucket) ?? 0;
    if (used >= this.limits.perAddress) return { ok: false, limit: 'per-address' };
    if (this.count >= this.limits.total) return { ok: false, limit: 'total' };
    this.byBucket.set(bucket, used + 1);
    this.count++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.count--;
        const left = (this.byBucket.get(bucket) ?? 1) - 1;
        if (left <= 0) this.byBucket.delete(bucket);
        else this.byBucket.set(bucket, left);
      },
    };
  }
}

/** Sockets still in their handshake: enough for a busy LAN, far below what would slow the gateway. */
export const PREAUTH_LIMITS: BudgetLimits = { perAddress: 64, total: 1024 };
/** Sockets held open while their pairing waits (stock OpenClaw node hosts). */
export const HELD_LIMITS: BudgetLimits = { perAddress: 8, total: 128 };
