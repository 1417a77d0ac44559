import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaStore } from '../../media/media-store.js';
import { AgentMediaFolder } from './save-media.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tether-agent-media-'));
  dirs.push(d);
  return d;
}

const NODE = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const clip = Buffer.alloc(64 * 1024, 7);

async function setup(quotaBytes?: number) {
  const store = new MediaStore({ dir: dir() });
  const mediaDir = join(dir(), 'media');
  return { store, mediaDir, folder: new AgentMediaFolder(mediaDir, store, quotaBytes) };
}

describe('AgentMediaFolder', () => {
  it('keeps the same bytes once, however often a node sends them', async () => {
    const { store, mediaDir, folder } = await setup();
    const item = await store.put(Readable.from([clip]), 'mp4', NODE);
    for (let i = 0; i < 5; i++) {
      const outcome = await folder.save(NODE, 'camera.clip', { format: 'mp4', mediaId: item.mediaId });
      expect(outcome && 'saved' in outcome && outcome.saved.path).toBe(join(mediaDir, `${item.sha256}.mp4`));
    }
    const inline = await folder.save(NODE, 'camera.snap', { format: 'jpg', base64: Buffer.from('jpeg-bytes').toString('base64') });
    expect(inline && 'saved' in inline).toBe(true);
    await folder.save(NODE, 'camera.snap', { format: 'jpg', base64: Buffer.from('jpeg-bytes').toString('base64') });
    expect(readdirSync(mediaDir)).toHaveLength(2);
  });

  it("never takes another node's upload, or an upload in another format", async () => {
    const { store, folder } = await setup();
    const theirs = await store.put(Readable.from([clip]), 'mp4', OTHER);
    expect(await folder.save(NODE, 'camera.clip', { format: 'mp4', mediaId: theirs.mediaId })).toBeUndefined();
    const mine = await store.put(Readable.from([Buffer.from('png?')]), 'png', NODE);
    expect(await folder.save(NODE, 'camera.snap', { format: 'jpg', mediaId: mine.mediaId })).toBeUndefined();
  });

  it('refuses what would pass the quota, and says where to make room', async () => {
    const { store, folder } = await setup(100 * 1024);
    const first = await store.put(Readable.from([clip]), 'mp4', NODE);
    expect(await folder.save(NODE, 'camera.clip', { format: 'mp4', mediaId: first.mediaId })).toMatchObject({ saved: {} });
    const second = await store.put(Readable.from([Buffer.alloc(64 * 1024, 9)]), 'mp4', NODE);
    const refused = await folder.save(NODE, 'camera.clip', { format: 'mp4', mediaId: second.mediaId });
    expect(refused).toMatchObject({ refused: expect.stringContaining('quota') });
  });

  it('names files from the hash and the fixed extension table, never from the node', async () => {
    const { mediaDir, folder } = await setup();
    expect(await folder.save(NODE, 'camera.snap', { format: '../../.bashrc', base64: 'AAAA' })).toBeUndefined();
    const outcome = await folder.save(NODE, 'screen.snapshot', { format: 'png', base64: 'AAAA' });
    expect(outcome && 'saved' in outcome && outcome.saved.path).toMatch(new RegExp(`^${mediaDir}/[0-9a-f]{64}\\.png$`));
  });
});
