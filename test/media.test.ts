/**
 * Capture end to end with real ffmpeg: a small snapshot stays inline (OpenClaw's shape), a large clip
 * goes through the gateway's media store by reference and arrives byte-identical.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, ownerTokenEnv } from './helpers/processes.js';
import { connectOperator } from './helpers/clients.js';

let gateway: GatewayProcess;
const gw = () => ['--state-dir', gateway.stateDir];

beforeAll(async () => {
  gateway = await startGatewayProcess();
  const nodeDir = tempDir();
  // Random noise compresses badly, so a few seconds make a clip of several megabytes.
  writeFileSync(
    join(nodeDir, 'node-config.json'),
    JSON.stringify({ version: 1, camera: { source: 'lavfi:nullsrc=s=1280x720:r=25,geq=random(1)*255:128:128' } }),
  );
  const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'cam'], ownerTokenEnv(gateway));
  await node.waitFor(/connected to .*offering .*camera\.snap/, 15_000);
});
afterAll(cleanup);

describe('media', () => {
  it('keeps a small snapshot inline as base64 JPEG', async () => {
    const operator = await connectOperator(gateway.url, gateway.stateDir);
    const { nodes } = await operator.request<{ nodes: { nodeId: string }[] }>('node.list', {});
    const result = await operator.request<{ payload: { format: string; base64?: string; mediaId?: string; width: number } }>(
      'node.invoke',
      { nodeId: nodes[0]!.nodeId, command: 'camera.snap', params: { maxWidth: 320, quality: 0.5 }, idempotencyKey: 'snap-1', timeoutMs: 30_000 },
      { timeoutMs: 35_000 },
    );
    await operator.close();
    expect(result.payload.format).toBe('jpg');
    expect(result.payload.mediaId).toBeUndefined();
    const jpeg = Buffer.from(result.payload.base64!, 'base64');
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(result.payload.width).toBe(320);
  });

  it('moves a 5 MB clip by reference and it arrives byte-identical', async () => {
    const out = join(tempDir(), 'clip.mp4');
    const saved = await runTetherJson<{ path: string; bytes: number; sha256: string; mediaId: string; format: string; durationMs: number }>([
      'nodes', 'camera', 'clip', '--node', 'cam', ...gw(), '--duration-ms', '4000', '--out', out,
    ]);
    expect(saved.path).toBe(out);
    expect(saved.format).toBe('mp4');
    expect(saved.mediaId).toBe(saved.sha256);
    expect(saved.bytes).toBeGreaterThan(5 * 1024 * 1024);
    const file = readFileSync(out);
    expect(file.length).toBe(saved.bytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(saved.sha256);
    const duration = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]).toString());
    expect(duration).toBeGreaterThan(3.5);
    expect(duration).toBeLessThan(4.5);
  }, 60_000);

  it('refuses uploads without a node token and downloads without the gateway token', async () => {
    const origin = gateway.url.replace('ws://', 'http://');
    const upload = await fetch(`${origin}/media?format=mp4`, { method: 'POST', body: 'x' });
    expect(upload.status).toBe(401);
    const download = await fetch(`${origin}/media/${'0'.repeat(64)}`);
    expect(download.status).toBe(401);
  });
});
