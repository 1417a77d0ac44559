import { describe, expect, it } from 'vitest';
import { ReadinessCheck, type ReadyResult } from './readiness.js';

function fakeStore(results: ReadyResult[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    checkReady: async (): Promise<ReadyResult> => results[Math.min(calls++, results.length - 1)]!,
  };
}

describe('ReadinessCheck', () => {
  it('answers from the last check without waiting, and refreshes a stale one in the background, one at a time', async () => {
    let now = 10_000;
    const store = fakeStore([{ ok: true }, { ok: false, reason: 'disk full' }]);
    const check = new ReadinessCheck(store, () => now);
    expect(check.current()).toEqual({ ok: false, reason: 'not checked yet' });
    await check.refresh();
    expect(check.current()).toEqual({ ok: true });
    expect(store.calls).toBe(1);
    for (let i = 0; i < 100; i++) check.current(); // a flood of probes within the second
    expect(store.calls).toBe(1);
    now += 1_500;
    expect(check.current()).toEqual({ ok: true }); // stale answer now, fresh check started
    check.current();
    await check.refresh();
    expect(store.calls).toBe(2);
    expect(check.current()).toEqual({ ok: false, reason: 'disk full' });
  });

  it('a check that throws is a not-ready reason, never an escape', async () => {
    const check = new ReadinessCheck({ checkReady: () => Promise.reject(new Error('EIO')) });
    await check.refresh();
    expect(check.current()).toEqual({ ok: false, reason: 'EIO' });
  });
});
