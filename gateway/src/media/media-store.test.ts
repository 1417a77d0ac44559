import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaQuotaError, MediaStore, type MediaLimits } from './media-store.js';

const dirs: string[] = [];
function store(limits: Partial<MediaLimits> = {}): MediaStore {
  const dir = mkdtempSync(join(tmpdir(), 'tether-media-'));
  dirs.push(dir);
  return new MediaStore({ dir: join(dir, 'media'), ...limits });
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const body = (bytes: number, fill = 1) => Readable.from([Buffer.alloc(bytes, fill)]);

async function refusal(promise: Promise<unknown>): Promise<MediaQuotaError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof MediaQuotaError)) throw new Error(`expected a MediaQuotaError, got ${String(error)}`);
  return error;
}

describe('MediaStore limits', () => {
  it('refuses an item over the per-item cap and leaves no file behind', async () => {
    const media = store({ maxItemBytes: 1000 });
    const error = await refusal(media.put(body(1001), 'jpg', 'dev-a'));
    expect([error.status, error.code]).toEqual([413, 'MEDIA_TOO_LARGE']);
    expect(readdirSync(media.dir)).toEqual([]);
  });

  it('caps what one device keeps, while another device still uploads', async () => {
    const media = store({ maxItemBytes: 1000, maxDeviceBytes: 1500, maxTotalBytes: 10_000 });
    await media.put(body(1000, 1), 'jpg', 'dev-a');
    const error = await refusal(media.put(body(600, 2), 'jpg', 'dev-a'));
    expect([error.status, error.code]).toEqual([507, 'MEDIA_QUOTA_EXCEEDED']);
    await expect(media.put(body(600, 3), 'jpg', 'dev-b')).resolves.toMatchObject({ bytes: 600, deviceId: 'dev-b' });
    expect(media.usedBytes('dev-a')).toBe(1000);
  });

  it('caps the total across devices', async () => {
    const media = store({ maxItemBytes: 1000, maxDeviceBytes: 1000, maxTotalBytes: 1500 });
    await media.put(body(1000, 1), 'png', 'dev-a');
    const error = await refusal(media.put(body(600, 2), 'png', 'dev-b'));
    expect(error.code).toBe('MEDIA_QUOTA_EXCEEDED');
    expect(media.usedBytes()).toBe(1000);
  });

  it('caps concurrent uploads per device and in total; a finished upload frees its slot', async () => {
    const media = store({ maxDeviceUploads: 1, maxTotalUploads: 2 });
    const slow = new PassThrough();
    const first = media.put(slow, 'mp4', 'dev-a');
    expect((await refusal(media.put(body(10), 'mp4', 'dev-a'))).code).toBe('TOO_MANY_UPLOADS');
    const slowB = new PassThrough();
    const second = media.put(slowB, 'mp4', 'dev-b');
    expect((await refusal(media.put(body(10), 'mp4', 'dev-c'))).code).toBe('TOO_MANY_UPLOADS');
    slow.end(Buffer.alloc(10, 7));
    slowB.end(Buffer.alloc(10, 8));
    await Promise.all([first, second]);
    await expect(media.put(body(10, 9), 'mp4', 'dev-a')).resolves.toMatchObject({ bytes: 10 });
  });

  it('counts bytes still streaming, so parallel uploads cannot overshoot the device quota together', async () => {
    const media = store({ maxItemBytes: 1000, maxDeviceBytes: 1000, maxDeviceUploads: 2 });
    const a = new PassThrough();
    const b = new PassThrough();
    const first = media.put(a, 'mp4', 'dev-a');
    const second = media.put(b, 'mp4', 'dev-a');
    a.write(Buffer.alloc(600, 1));
    await new Promise((r) => setImmediate(r));
    b.write(Buffer.alloc(600, 2));
    a.end();
    b.end();
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(media.usedBytes('dev-a')).toBe(600);
  });

  it('stores the same bytes once: another format for them is refused and leaves nothing behind', async () => {
    const media = store();
    await media.put(body(100, 4), 'jpg', 'dev-a');
    const error = await refusal(media.put(body(100, 4), 'mp4', 'dev-a'));
    expect([error.status, error.code]).toEqual([409, 'MEDIA_FORMAT_CONFLICT']);
    expect(readdirSync(media.dir).filter((name) => !name.startsWith('.'))).toHaveLength(1);
    expect(media.usedBytes()).toBe(100);
  });
});
