import { describe, expect, it, vi } from 'vitest';
import { IdempotencyCache } from './idempotency.js';

function clock(start = 1_000_000) {
  let nowMs = start;
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('IdempotencyCache', () => {
  it('gives a repeated key the same promise and starts the work once', async () => {
    const cache = new IdempotencyCache<string>(60_000, 10);
    let release!: (value: string) => void;
    const start = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const first = cache.run('k', start);
    const second = cache.run('k', start);
    expect(second).toBe(first);
    expect(start).toHaveBeenCalledTimes(1);
    release('done');
    await expect(second).resolves.toBe('done');
    // Still cached after it settled.
    expect(cache.run('k', start)).toBe(first);
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('keeps different keys apart', async () => {
    const cache = new IdempotencyCache<string>(60_000, 10);
    const a = cache.run('a', async () => 'A');
    const b = cache.run('b', async () => 'B');
    await expect(a).resolves.toBe('A');
    await expect(b).resolves.toBe('B');
    expect(cache.size).toBe(2);
  });

  it('runs again once the TTL has passed', async () => {
    const time = clock();
    const cache = new IdempotencyCache<number>(1_000, 10, time.now);
    let calls = 0;
    const start = vi.fn(async () => ++calls);
    await expect(cache.run('k', start)).resolves.toBe(1);
    time.advance(999);
    await expect(cache.run('k', start)).resolves.toBe(1);
    expect(start).toHaveBeenCalledTimes(1);
    time.advance(1);
    await expect(cache.run('k', start)).resolves.toBe(2);
    expect(start).toHaveBeenCalledTimes(2);
    // The new outcome is cached from its own start time.
    time.advance(999);
    await expect(cache.run('k', start)).resolves.toBe(2);
    expect(start).toHaveBeenCalledTimes(2);
  });

  it('replays a rejected outcome instead of running again', async () => {
    const cache = new IdempotencyCache<string>(60_000, 10);
    const start = vi.fn(() => Promise.reject(new Error('node said no')));
    await expect(cache.run('k', start)).rejects.toThrow('node said no');
    await expect(cache.run('k', start)).rejects.toThrow('node said no');
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('forgets a retryable failure so the retry runs again', async () => {
    const cache = new IdempotencyCache<string>(60_000, 10);
    const retryable = Object.assign(new Error('node disconnected'), { retryable: true });
    const start = vi.fn().mockRejectedValueOnce(retryable).mockResolvedValueOnce('second try');
    await expect(cache.run('k', start)).rejects.toThrow('node disconnected');
    await expect(cache.run('k', start)).resolves.toBe('second try');
    await expect(cache.run('k', start)).resolves.toBe('second try');
    expect(start).toHaveBeenCalledTimes(2);
  });

  it('does not report a cached rejection as unhandled', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const cache = new IdempotencyCache<string>(60_000, 10);
      // Nobody awaits this outcome; it only sits in the cache for a later replay.
      void cache.run('k', () => Promise.reject(new Error('cached only')));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('prunes the oldest entries above max', async () => {
    const time = clock();
    const cache = new IdempotencyCache<string>(60_000, 2, time.now);
    const starts: string[] = [];
    const run = (key: string) =>
      cache.run(key, async () => {
        starts.push(key);
        return key;
      });
    await run('a');
    time.advance(1);
    await run('b');
    time.advance(1);
    await run('c');
    expect(cache.size).toBe(2);
    // b and c are still cached; a was the oldest and was dropped.
    await run('b');
    await run('c');
    expect(starts).toEqual(['a', 'b', 'c']);
    await run('a');
    expect(starts).toEqual(['a', 'b', 'c', 'a']);
    expect(cache.size).toBe(2);
    // Re-running a pushed out b, the oldest left.
    await run('c');
    await run('b');
    expect(starts).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('drops expired entries when it prunes', async () => {
    const time = clock();
    const cache = new IdempotencyCache<string>(1_000, 100, time.now);
    await cache.run('old1', async () => 'x');
    await cache.run('old2', async () => 'x');
    time.advance(1_000);
    await cache.run('fresh', async () => 'y');
    expect(cache.size).toBe(1);
  });
});
