import { describe, expect, it } from 'vitest';
import { ChannelStatusKeeper, WakeableSleep } from './supervision.js';

describe('ChannelStatusKeeper', () => {
  it('keeps the times across state changes and redacts every reason', () => {
    const status = new ChannelStatusKeeper((text) => text.split('SECRET').join('<redacted>'));
    status.messageSeen(5);
    status.heard(7);
    status.set({ state: 'reconnecting', reason: 'GET /botSECRET/getUpdates failed' });
    expect(status.get()).toEqual({ state: 'reconnecting', reason: 'GET /bot<redacted>/getUpdates failed', lastMessageAtMs: 5, lastActivityAtMs: 7 });
    status.set({ state: 'connected' });
    expect(status.get()).toEqual({ state: 'connected', lastMessageAtMs: 5, lastActivityAtMs: 7 });
  });
});

describe('WakeableSleep', () => {
  it('wake() ends a long backoff at once, and does nothing when none is running', async () => {
    const backoff = new WakeableSleep();
    backoff.wake();
    const slept = backoff.sleep(60 * 60 * 1000);
    backoff.wake();
    await expect(slept).resolves.toBeUndefined();
  });
});
