/**
 * The in-memory book of unknown devices' pending requests (see unknown-devices.ts for why they are
 * never durable). A restart forgets them on purpose: the device is still retrying, and its next connect
 * opens a new request with a new id.
 */
import { addressBucket } from './address-bucket.js';
import { isHeldInMemory } from './unknown-devices.js';
import type { PendingRequest } from './types.js';

export interface HeldCounts {
  total: number;
  fromAddress: number;
}

export class HeldRequests {
  private byId = new Map<string, PendingRequest>();

  /** Every held request, expired ones included (`decide` prunes them), keyed by id. */
  asRecord(): Record<string, PendingRequest> {
    return Object.fromEntries(this.byId);
  }

  get(requestId: string, now: number): PendingRequest | undefined {
    const request = this.byId.get(requestId);
    return request && request.expiresAtMs > now ? request : undefined;
  }

  live(now: number): PendingRequest[] {
    return [...this.byId.values()].filter((request) => request.expiresAtMs > now);
  }

  /** Takes the held requests of a state `decide` returned: its pending map is the whole truth for them. */
  replaceFrom(pending: Readonly<Record<string, PendingRequest>>): void {
    this.byId = new Map(Object.entries(pending).filter(([, request]) => isHeldInMemory(request)));
  }

  add(request: PendingRequest): void {
    if (isHeldInMemory(request)) this.byId.set(request.requestId, request);
  }

  /** The ids of `deviceId`'s requests, for removing them once a decision about the device is on disk. */
  idsOfDevice(deviceId: string): string[] {
    return [...this.byId.values()].filter((request) => request.deviceId === deviceId).map((request) => request.requestId);
  }

  delete(requestIds: readonly string[]): void {
    for (const requestId of requestIds) this.byId.delete(requestId);
  }

  counts(now: number, remoteIp: string | undefined): HeldCounts {
    const live = this.live(now);
    const bucket = remoteIp === undefined ? undefined : addressBucket(remoteIp);
    const fromAddress = bucket === undefined ? 0 : live.filter((request) => addressBucket(request.remoteIp) === bucket).length;
    return { total: live.length, fromAddress };
  }
}
