/**
 * Requests from devices that are not paired ("unknown devices") cost an attacker nothing: any fresh
 * key makes one. So they are held in memory only, never written to state.json or the audit log until
 * an owner acts on one, and capped in total and per address: a flood costs bounded memory and no disk
 * (security review, finding 7). Requests from paired devices (role, scope and surface upgrades, repairs)
 * are authenticated by a paired key and stay durable.
 */
import { addressBucket } from './address-bucket.js';
import type { PendingRequest, ThrottleLimit, ThrottledDecision } from './types.js';

export interface UnknownDeviceLimits {
  /** Requests held for unknown devices, all addresses together. */
  total: number;
  /** Requests held for unknown devices from one address: an IPv4 address or an IPv6 /64. */
  perAddress: number;
}

export const DEFAULT_UNKNOWN_DEVICE_LIMITS: Readonly<UnknownDeviceLimits> = Object.freeze({ total: 256, perAddress: 16 });

/** A throttled device is never told to come back sooner than this, or it would spin. */
export const MIN_THROTTLE_RETRY_MS = 1_000;

/** Whether a request lives in memory only: exactly the requests of devices that are not paired. */
export function isHeldInMemory(request: Pick<PendingRequest, 'reason'>): boolean {
  return request.reason === 'not-paired';
}

/**
 * Whether a new unknown device from `remoteIp` must wait, given the live held requests of the other
 * unknown devices. The per-address cap is checked first: it names the bucket the caller can do
 * something about.
 */
export function throttleUnknownDevice(
  held: readonly PendingRequest[],
  remoteIp: string | undefined,
  limits: UnknownDeviceLimits,
  now: number,
): ThrottledDecision | undefined {
  const bucket = addressBucket(remoteIp);
  const sameAddress = held.filter((request) => addressBucket(request.remoteIp) === bucket);
  if (sameAddress.length >= limits.perAddress) return throttled('per-address', sameAddress, now);
  if (held.length >= limits.total) return throttled('total', held, now);
  return undefined;
}

/** Retry once the first request of the full bucket expires: that frees a slot. */
function throttled(limit: ThrottleLimit, bucket: readonly PendingRequest[], now: number): ThrottledDecision {
  const firstExpiry = bucket.reduce((first, request) => Math.min(first, request.expiresAtMs), Number.POSITIVE_INFINITY);
  return { kind: 'throttled', limit, retryAfterMs: Math.max(MIN_THROTTLE_RETRY_MS, firstExpiry - now) };
}
