/**
 * "Connected but deaf": the socket is up, the platform says all is well, yet nothing arrives (the
 * most reported failure of chat bots: a half-open TCP connection, a poller stuck on a request that
 * never returns, a gateway session the platform forgot). Each channel reports when it last heard from
 * its platform (`lastActivityAtMs`: any poll answer or heartbeat ack, not only messages) and how long
 * silence may last (`deafAfterMs`); a connected channel silent for longer is restarted, and the
 * restart is logged and counted in its status.
 */
import { safeLabel } from '@tether/protocol';
import type { Logger } from '../log.js';
import type { Channel } from './channel.js';

export interface DeafWatchdogOptions {
  log: Logger;
  /** How often to look; default a quarter of the shortest deafAfterMs, at least 1 s. */
  checkEveryMs?: number;
  now?: () => number;
}

export class DeafWatchdog {
  private readonly restarts = new Map<Channel, number>();
  private readonly restarting = new Set<Channel>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  private readonly channels: Channel[];
  /** Until start() (and after stop()), watch() only records. */
  private stopped = true;

  constructor(channels: readonly Channel[], private readonly options: DeafWatchdogOptions) {
    this.channels = [...channels];
    this.now = options.now ?? Date.now;
  }

  /** Watches one more channel (channels come up one by one). */
  watch(channel: Channel): void {
    this.channels.push(channel);
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.start();
  }

  start(): void {
    this.stopped = false;
    const watched = this.channels.filter((channel) => channel.deafAfterMs !== undefined && channel.restart);
    if (watched.length === 0 || this.timer) return;
    const shortest = Math.min(...watched.map((channel) => channel.deafAfterMs!));
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? Math.max(1_000, Math.floor(shortest / 4)));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  restartsOf(channel: Channel): number {
    return this.restarts.get(channel) ?? 0;
  }

  /** One look at every channel; exposed for tests. */
  async check(): Promise<void> {
    await Promise.all(
      this.channels.map(async (channel) => {
        if (channel.deafAfterMs === undefined || !channel.restart || this.restarting.has(channel)) return;
        const status = channel.status();
        if (status.state !== 'connected' || status.lastActivityAtMs === undefined) return;
        const silentMs = this.now() - status.lastActivityAtMs;
        if (silentMs <= channel.deafAfterMs) return;
        const reason = `nothing heard from the platform for ${Math.round(silentMs / 1000)} s while connected`;
        this.options.log.warn(`channel ${safeLabel(channel.name, 32)}: deaf (${reason}); restarting it`);
        this.restarts.set(channel, this.restartsOf(channel) + 1);
        this.restarting.add(channel);
        try {
          await channel.restart(reason);
        } catch (error) {
          this.options.log.error(`channel ${safeLabel(channel.name, 32)}: restart after going deaf failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
        } finally {
          this.restarting.delete(channel);
        }
      }),
    );
  }
}
