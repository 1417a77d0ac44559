/**
 * GET /agent-media/<sha256>.<ext>: the files the agent saved from tool results (camera snaps, screen
 * snapshots), for the Control UI's tool steps. Through the gateway's real router on a real HTTP
 * server. Hostile cases first: each would hand a file (or another file) to someone it must not.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { agentMediaDir } from './agent-media-routes.js';
import { handleHttp } from './router.js';

const TOKEN = 'test-gateway-token-0123456789';
const OPERATOR = 'a'.repeat(64);
const READER = 'b'.repeat(64);
const NODE = 'c'.repeat(64);
const REVOKED = 'd'.repeat(64);
const DEVICE_TOKENS: Record<string, { role: string; token: string; scopes: string[]; revoked?: boolean }> = {
  [OPERATOR]: { role: 'operator', token: 'operator-device-token', scopes: ['operator.read', 'operator.write'] },
  [READER]: { role: 'operator', token: 'reader-device-token', scopes: ['operator.read'] },
  [NODE]: { role: 'node', token: 'node-device-token', scopes: [] },
  [REVOKED]: { role: 'operator', token: 'revoked-device-token', scopes: ['operator.admin'], revoked: true },
};

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a small jpeg body')]);
const JPEG_NAME = `${createHash('sha256').update(JPEG).digest('hex')}.jpg`;

let stateDir: string;
let server: Server;
let base: string;

function fakeGateway(): GatewayContext {
  return {
    config: { stateDir, authMode: 'token', allowedOrigins: [], tls: { enabled: false } },
    sharedToken: TOKEN,
    listen: { host: '127.0.0.1', port: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    store: {
      verifyToken: (deviceId: string, role: string, token: string) => {
        const record = DEVICE_TOKENS[deviceId];
        return record !== undefined && record.role === role && record.token === token && !record.revoked;
      },
      getPaired: (deviceId: string) => {
        const record = DEVICE_TOKENS[deviceId];
        if (!record) return undefined;
        return { deviceId, roles: [record.role], scopes: record.scopes, tokens: { [record.role]: { role: record.role, scopes: record.scopes, hash: 'x', createdAtMs: 0, ...(record.revoked ? { revokedAtMs: 1 } : {}) } } };
      },
    },
  } as unknown as GatewayContext;
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

const shared = { authorization: `Bearer ${TOKEN}` };
const device = (id: string, token = DEVICE_TOKENS[id]!.token) => ({ authorization: `Bearer ${token}`, 'x-tether-device-id': id });
const errorCode = (body: Buffer) => (JSON.parse(body.toString()) as { error: { code: string; message: string } }).error;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'tether-agent-media-'));
  const dir = agentMediaDir(stateDir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, JPEG_NAME), JPEG);
  // Things a route that trusted names or followed links would hand out.
  writeFileSync(join(stateDir, 'gateway-token'), TOKEN);
  symlinkSync(join(stateDir, 'gateway-token'), join(dir, `${'e'.repeat(64)}.jpg`));
  mkdirSync(join(dir, `${'f'.repeat(64)}.png`));
  writeFileSync(join(dir, 'notes.txt'), 'not media');
  const gateway = fakeGateway();
  server = createServer((request, response) => handleHttp(gateway, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(stateDir, { recursive: true, force: true });
});

describe('GET /agent-media: hostile requests', () => {
  it('refuses a request without credentials, or with a wrong token', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await get(`/agent-media/${JPEG_NAME}`, headers);
      expect(response.status).toBe(401);
      expect(errorCode(response.body).code).toBe('UNAUTHORIZED');
      expect(response.body.includes(JPEG)).toBe(false);
    }
  });

  it('refuses device tokens that are not a paired operator with operator.write (or admin)', async () => {
    const cases = [
      device(READER), // read-only: chat.history hides tool results (and their files) from it too
      device(NODE), // a node's token is not an operator's
      device(REVOKED),
      device(OPERATOR, 'guessed-token'),
      device(OPERATOR, DEVICE_TOKENS[READER]!.token), // another device's token
      { authorization: `Bearer ${DEVICE_TOKENS[OPERATOR]!.token}` }, // no device id
      { authorization: `Bearer ${DEVICE_TOKENS[OPERATOR]!.token}`, 'x-tether-device-id': OPERATOR.toUpperCase() },
      { authorization: `Bearer ${DEVICE_TOKENS[OPERATOR]!.token}`, 'x-tether-device-id': `${OPERATOR}0` },
      { authorization: `Bearer ${TOKEN}x`, 'x-tether-device-id': OPERATOR },
    ];
    for (const headers of cases) {
      const response = await get(`/agent-media/${JPEG_NAME}`, headers);
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(errorCode(response.body).message).toMatch(/operator\.write/);
    }
  });

  it('serves nothing outside the media folder: only <64 hex>.<jpg|png|mp4> names reach the handler', async () => {
    const targets = [
      '/agent-media/..%2f..%2fgateway-token',
      '/agent-media/../gateway-token',
      `/agent-media/${JPEG_NAME.toUpperCase()}`,
      `/agent-media/${JPEG_NAME}/`,
      `/agent-media/${JPEG_NAME}.txt`,
      `/agent-media/${JPEG_NAME.replace('.jpg', '.JPG')}`,
      `/agent-media/${JPEG_NAME.slice(1)}`,
      '/agent-media/notes.txt',
      `/agent-media/${JPEG_NAME.replace('.jpg', '%2ejpg')}`,
      `/agent-media/%2e%2e/${JPEG_NAME}`,
    ];
    for (const target of targets) {
      const response = await get(target, shared);
      expect(response.status, target).toBe(404);
      expect(response.body.toString()).not.toContain(TOKEN);
    }
  });

  it('does not follow a symlink in the folder, and a directory with a media name is not found', async () => {
    const link = await get(`/agent-media/${'e'.repeat(64)}.jpg`, shared);
    expect(link.status).toBe(404);
    expect(link.body.toString()).not.toContain(TOKEN);
    expect(errorCode(link.body).code).toBe('MEDIA_NOT_FOUND');
    const folder = await get(`/agent-media/${'f'.repeat(64)}.png`, shared);
    expect(folder.status).toBe(404);
  });

  it('a file that is not there is a 404 that says what to do', async () => {
    const response = await get(`/agent-media/${'0'.repeat(64)}.png`, shared);
    expect(response.status).toBe(404);
    expect(errorCode(response.body)).toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    expect(errorCode(response.body).message).toMatch(/capture it again/);
  });

  it('only GET', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${base}/agent-media/${JPEG_NAME}`, { method: 'DELETE', headers: shared }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    expect(response).toBe(405);
  });
});

describe('GET /agent-media: serving', () => {
  it('serves the saved file to the shared token, with a fixed type, nosniff and no caching', async () => {
    const response = await get(`/agent-media/${JPEG_NAME}`, shared);
    expect(response.status).toBe(200);
    expect(response.body.equals(JPEG)).toBe(true);
    expect(response.headers['content-type']).toBe('image/jpeg');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-length']).toBe(String(JPEG.length));
  });

  it('serves it to a paired operator device with operator.write', async () => {
    const response = await get(`/agent-media/${JPEG_NAME}`, device(OPERATOR));
    expect(response.status).toBe(200);
    expect(response.body.equals(JPEG)).toBe(true);
  });
});
