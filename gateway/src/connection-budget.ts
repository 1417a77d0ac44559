/**
 * Caps on sockets that have proved nothing yet (in their handshake) or only a key (held while their
 * pairing waits): per address bucket (`addressBucket`: loopback is one bucket, an IPv4 address one, an
 * IPv6 /64 one) and in total. A socket is counted only until it is admitted or approved, so paired
 * devices and the owner are counted only for the milliseconds of their own handshake.
 *
 * When a budget is full, `evictOldest` budgets (sockets in their handshake) make room by cutting the
 * oldest socket of the fullest bucket, so a stranger holding idle sockets cannot lock the owner out;
 * the others (held sockets, which belong to devices that already asked) refuse the newcomer.
 */
import { addressBucket } from '@tether/pairing';

export interface BudgetLimits {
  perAddress: number;
  total: number;
}

interface Slot {
  bucket: string;
  evict: () => void;
  released: boolean;
}

export type BudgetSlot = { ok: true; release: () => void } | { ok: false; limit: 'per-address' | 'total' };

export class ConnectionBudget {
  /** Slots per bucket, oldest first (Sets iterate in insertion order). */
  private readonly byBucket = new Map<string, Set<Slot>>();
  private count = 0;

  constructor(
    readonly limits: BudgetLimits,
    private readonly options: { evictOldest?: boolean } = {},
  ) {}

  get size(): number {
    return this.count;
  }

  /** Takes a slot for `ip`, or says which limit is full. `evict` cuts the socket if its slot is reclaimed. */
  acquire(ip: string, evict: () => void = () => undefined): BudgetSlot {
    const bucket = addressBucket(ip);
    if ((this.byBucket.get(bucket)?.size ?? 0) >= this.limits.perAddress && !this.evictFrom(bucket)) return { ok: false, limit: 'per-address' };
    if (this.count >= this.limits.total && !this.evictFrom(this.fullestBucket())) return { ok: false, limit: 'total' };
    const slot: Slot = { bucket, evict, released: false };
    const slots = this.byBucket.get(bucket) ?? new Set<Slot>();
    slots.add(slot);
    this.byBucket.set(bucket, slots);
    this.count++;
    return { ok: true, release: () => this.release(slot) };
  }

  private release(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    this.count--;
    const slots = this.byBucket.get(slot.bucket);
    slots?.delete(slot);
    if (slots?.size === 0) this.byBucket.delete(slot.bucket);
  }

  /** Frees the oldest slot of `bucket` when this budget evicts; false when it refuses instead. */
  private evictFrom(bucket: string | undefined): boolean {
    if (!this.options.evictOldest || bucket === undefined) return false;
    const oldest = this.byBucket.get(bucket)?.values().next().value;
    if (!oldest) return false;
    this.release(oldest);
    oldest.evict();
    return true;
  }

  private fullestBucket(): string | undefined {
    let fullest: string | undefined;
    let size = 0;
    for (const [bucket, slots] of this.byBucket) {
      if (slots.size > size) {
        fullest = bucket;
        size = slots.size;
      }
    }
    return fullest;
  }
}

/** Sockets still in their handshake: enough for a busy LAN, far below what would slow the gateway. */
export const PREAUTH_LIMITS: BudgetLimits = { perAddress: 64, total: 1024 };
/** Sockets held open while their pairing waits (stock OpenClaw node hosts). */
export const HELD_LIMITS: BudgetLimits = { perAddress: 8, total: 128 };
