import { describe, expect, it } from 'vitest';
import type { Logger } from '../log.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { InvokeCounter } from './invoke-counter.js';
import { RecentErrors, safeErrorMessage } from './recent-errors.js';

describe('safeErrorMessage (what the Health view may show)', () => {
  it('redacts credential-shaped text: tokens, bearer headers, setup codes, long opaque runs', () => {
    const token = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    const shown = safeErrorMessage(
      `connect failed token=${token} Authorization: Bearer abc.def "bootstrapToken":"s3cr3t" oc-pair://eyJ1cmwiOiJ3czovL3gifQ hash ${'ab'.repeat(32)}`,
    );
    expect(shown).not.toContain(token);
    expect(shown).not.toContain('abc.def');
    expect(shown).not.toContain('s3cr3t');
    expect(shown).not.toContain('eyJ1cmwiOiJ3czovL3gifQ');
    expect(shown).not.toContain('ab'.repeat(32));
    expect(shown).toContain('connect failed token=[redacted]');
  });

  it('escapes control and bidi characters and caps the length', () => {
    expect(safeErrorMessage('node <img src=x onerror=alert(1)>\x1b[31m said \u202eevil')).toBe('node <img src=x onerror=alert(1)>\\x1b[31m said \\u{202e}evil');
    expect(safeErrorMessage('x '.repeat(400)).length).toBe(300);
  });
});

describe('RecentErrors', () => {
  it('keeps the last 20, newest first, folding repeats into a count', () => {
    let now = 1000;
    const errors = new RecentErrors(() => now);
    errors.record('warn', 'flap');
    now += 5;
    errors.record('warn', 'flap');
    expect(errors.list()).toEqual([{ atMs: 1005, source: 'warn', message: 'flap', count: 2 }]);
    for (let n = 0; n < 25; n++) errors.record('error', `e${n}`);
    const list = errors.list();
    expect(list).toHaveLength(20);
    expect(list[0]!.message).toBe('e24');
    expect(list.at(-1)!.message).toBe('e5');
  });
});

describe('InvokeCounter', () => {
  it('counts the last 60 seconds and totals, forgetting older seconds', () => {
    let now = 10_000_000;
    const counter = new InvokeCounter(() => now);
    counter.record(true);
    counter.record(false);
    now += 30_000;
    counter.record(true);
    expect(counter.read()).toEqual({ total: 3, failed: 1, lastMinute: 3, perSecond: 0.05 });
    now += 31_000;
    expect(counter.read()).toMatchObject({ total: 3, lastMinute: 1 });
    // A bucket reused 60 s later starts from zero.
    now += 29_000;
    counter.record(true);
    expect(counter.read()).toMatchObject({ total: 4, lastMinute: 1 });
    now += 120_000;
    expect(counter.read()).toMatchObject({ total: 4, lastMinute: 0 });
  });
});

describe('GatewayMetrics', () => {
  it('keeps what the wrapped logger warns, and counts invokes that succeed and fail', async () => {
    const metrics = new GatewayMetrics();
    const written: string[] = [];
    const base: Logger = { debug: () => {}, info: (m) => written.push(m), warn: (m) => written.push(m), error: (m) => written.push(m) };
    const log = metrics.watchLogger(base);
    log.info('fine');
    log.error('it broke, token=abcdef');
    expect(written).toEqual(['fine', 'it broke, token=abcdef']);
    expect(metrics.report().recentErrors).toMatchObject([{ source: 'error', message: 'it broke, token=[redacted]' }]);

    const registry = metrics.countInvokes({ invoke: (ok: boolean) => (ok ? Promise.resolve('r') : Promise.reject(new Error('no'))) });
    await expect(registry.invoke(true)).resolves.toBe('r');
    await expect(registry.invoke(false)).rejects.toThrow('no');
    expect(metrics.report().invokes).toMatchObject({ total: 2, failed: 1, lastMinute: 2 });
  });
});
