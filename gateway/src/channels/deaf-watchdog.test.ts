import { describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import type { Channel, ChannelStatus } from './channel.js';
import { DeafWatchdog } from './deaf-watchdog.js';

function channel(status: ChannelStatus, deafAfterMs: number | null = 1_000) {
  const restarts: string[] = [];
  let release: () => void = () => {};
  const c = {
    name: 'fake',
    textLimit: 100,
    supportsButtons: false,
    ...(deafAfterMs === null ? {} : { deafAfterMs }),
    current: status,
    status: () => c.current,
    restart: (reason: string) => {
      restarts.push(reason);
      return new Promise<void>((resolve) => (release = resolve));
    },
    start: async () => {},
    stop: async () => {},
    sendText: async () => undefined,
    sendMedia: async () => {},
    sendTyping: async () => {},
    directChatId: async (id: string) => id,
  };
  return { channel: c as Channel & { current: ChannelStatus }, restarts, release: () => release() };
}

const lines: string[] = [];
const log: Logger = { debug: () => {}, info: () => {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) };

describe('DeafWatchdog', () => {
  it('restarts a connected channel silent for longer than its deafAfterMs, once at a time, and counts it', async () => {
    let now = 10_000;
    const t = channel({ state: 'connected', lastActivityAtMs: 9_500 });
    const watchdog = new DeafWatchdog([t.channel], { log, now: () => now });
    await watchdog.check();
    expect(t.restarts).toEqual([]); // 0.5 s silent: fine

    now = 11_000;
    const first = watchdog.check();
    await watchdog.check(); // still restarting: not restarted twice
    expect(t.restarts).toEqual(['nothing heard from the platform for 2 s while connected']);
    t.release();
    await first;
    expect(watchdog.restartsOf(t.channel)).toBe(1);
    expect(lines.at(-1)).toContain('channel fake: deaf');
  });

  it('leaves alone what is not connected, has never been heard from, or is not watched', async () => {
    const now = () => 1_000_000;
    const reconnecting = channel({ state: 'reconnecting', lastActivityAtMs: 0 });
    const unheard = channel({ state: 'connected' });
    const unwatched = channel({ state: 'connected', lastActivityAtMs: 0 }, null);
    const watchdog = new DeafWatchdog([reconnecting.channel, unheard.channel, unwatched.channel], { log, now });
    await watchdog.check();
    expect([reconnecting.restarts, unheard.restarts, unwatched.restarts]).toEqual([[], [], []]);
  });
});
