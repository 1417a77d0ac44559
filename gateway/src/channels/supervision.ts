/**
 * The pieces every channel's supervisor needs, in one place: its status (state and reason, with the
 * times it last got a message and last heard from its platform kept across state changes, and the
 * reason redacted of secrets), a backoff sleep that stop() can cut short, and an injectable timer.
 */
import type { ChannelStatus } from './channel.js';

export class ChannelStatusKeeper {
  private current: ChannelStatus = { state: 'stopped' };

  constructor(private readonly redact: (text: string) => string = (text) => text) {}

  get state(): ChannelStatus['state'] {
    return this.current.state;
  }

  get reason(): string | undefined {
    return this.current.reason;
  }

  get(): ChannelStatus {
    return { ...this.current };
  }

  /** A new state (and why); the times are kept. */
  set(next: { state: ChannelStatus['state']; reason?: string }): void {
    const { lastMessageAtMs, lastActivityAtMs } = this.current;
    this.current = {
      state: next.state,
      ...(next.reason !== undefined ? { reason: this.redact(next.reason) } : {}),
      ...(lastMessageAtMs !== undefined ? { lastMessageAtMs } : {}),
      ...(lastActivityAtMs !== undefined ? { lastActivityAtMs } : {}),
    };
  }

  /** A message or a button press arrived. */
  messageSeen(now = Date.now()): void {
    this.current = { ...this.current, lastMessageAtMs: now };
  }

  /** The platform was heard from (an answered poll, a frame on the socket). */
  heard(now = Date.now()): void {
    this.current = { ...this.current, lastActivityAtMs: now };
  }
}

/** A backoff wait that `wake()` ends at once (stop() should not sit out a 30 s backoff). */
export class WakeableSleep {
  private waking: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.waking === done) self.waking = undefined;
        resolve();
      }
      this.waking = done;
    });
  }

  wake(): void {
    this.waking?.();
  }
}

/** Schedules `fn` after `ms`; returns the cancel. Injected by tests (no wall clock). */
export type SetTimer = (fn: () => void, ms: number) => () => void;

/** The real clock; unref'd, so a pending timer never keeps the process alive. */
export const defaultSetTimer: SetTimer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
};

/**
 * An SDK's namespace from a dynamic import: bundled, a CommonJS package may arrive as the namespace's
 * `default` export instead. `marker` is an export the real namespace has.
 */
export function sdkNamespace<T>(module: unknown, marker: string): T {
  const namespace = module as Record<string, unknown> & { default?: unknown };
  return (namespace[marker] !== undefined ? namespace : namespace.default) as T;
}
