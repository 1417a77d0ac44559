/**
 * `logs.tail --follow`: new records sent as `logs.line` events to the connection that asked, and to
 * no other. Bounded: records are sent in batches on the next turn of the event loop (never from inside
 * the logger, so a send that logs cannot recurse), at most MAX_LINES_PER_SECOND per follower; past
 * that they are dropped and counted, and the follower gets `{dropped: n}` when it is sent to again.
 * A reader that stops reading altogether is cut off by the connection's own buffer limit.
 */
import type { GatewayLog, LogRecord } from './gateway-log.js';
import { matchesFilter, type TailFilter } from './tail.js';

export const MAX_FOLLOWERS = 16;
export const MAX_LINES_PER_SECOND = 500;
const MAX_QUEUED = MAX_LINES_PER_SECOND;

export interface FollowTarget {
  readonly isOpen: boolean;
  sendEvent(event: string, payload: unknown): void;
}

interface Follower {
  target: FollowTarget;
  filter: TailFilter;
  queue: LogRecord[];
  dropped: number;
  windowStartMs: number;
  sentInWindow: number;
  /** Until started (after the tail's answer went out), records only queue. */
  started: boolean;
}

export class LogFollowers {
  private readonly followers = new Map<FollowTarget, Follower>();
  private unsubscribe: (() => void) | undefined;
  private flushScheduled = false;

  constructor(
    private readonly log: GatewayLog,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    this.prune();
    return this.followers.size;
  }

  /** Registers (or replaces) `target`'s follow; records queue until `start()`. False when too many follow already. */
  add(target: FollowTarget, filter: TailFilter): { start(): void } | undefined {
    this.prune();
    if (!this.followers.has(target) && this.followers.size >= MAX_FOLLOWERS) return undefined;
    const follower: Follower = { target, filter, queue: [], dropped: 0, windowStartMs: this.now(), sentInWindow: 0, started: false };
    this.followers.set(target, follower);
    this.unsubscribe ??= this.log.onLine((record) => this.offer(record));
    return {
      start: () => {
        follower.started = true;
        this.schedule();
      },
    };
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.followers.clear();
  }

  private offer(record: LogRecord): void {
    for (const follower of this.followers.values()) {
      if (!matchesFilter(record, follower.filter)) continue;
      if (follower.queue.length >= MAX_QUEUED) follower.dropped++;
      else follower.queue.push(record);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    let again = false;
    for (const follower of [...this.followers.values()]) {
      if (!follower.target.isOpen) {
        this.followers.delete(follower.target);
        continue;
      }
      if (!follower.started) continue;
      const now = this.now();
      if (now - follower.windowStartMs >= 1000) {
        follower.windowStartMs = now;
        follower.sentInWindow = 0;
      }
      if (follower.dropped > 0 && follower.sentInWindow < MAX_LINES_PER_SECOND) {
        follower.target.sendEvent('logs.line', { dropped: follower.dropped });
        follower.dropped = 0;
        follower.sentInWindow++;
      }
      while (follower.queue.length > 0 && follower.sentInWindow < MAX_LINES_PER_SECOND) {
        follower.target.sendEvent('logs.line', { record: follower.queue.shift() });
        follower.sentInWindow++;
      }
      if (follower.queue.length > 0) again = true;
    }
    if (again) setTimeout(() => this.schedule(), 100).unref();
    this.prune();
  }

  private prune(): void {
    for (const target of [...this.followers.keys()]) if (!target.isOpen) this.followers.delete(target);
    if (this.followers.size === 0 && this.unsubscribe) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }
}
