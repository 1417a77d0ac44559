/**
 * GET /media/<id> through the real handler on a real HTTP server, with a real pairing store and media
 * store. Besides the shared token, a paired operator DEVICE may fetch media with its own device token
 * (the Control UI logs in as one): hostile cases first, each a credential that must not pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PairingStore, type DeviceClaim } from '@tether/pairing';
import type { GatewayContext } from '../context.js';
import { MediaStore } from '../media/media-store.js';
import { downloadMedia } from './media-routes.js';

const SHARED = 'shared-gateway-token-0123456789abcdef';
const id = (c: string) => c.repeat(64);
const READER = id('a');
const WRITER = id('b');
const NODE = id('c');
const REVOKED = id('d');
const ADMIN = id('e');

let dir: string;
let store: PairingStore;
let media: MediaStore;
let server: Server;
let origin: string;
let mediaId: string;
const tokens: Record<string, string> = {};

const claim = (deviceId: string, role: 'operator' | 'node', scopes: string[]): DeviceClaim => ({
  deviceId,
  publicKey: `pk-${deviceId.slice(0, 4)}`,
  role,
  scopes,
  commands: role === 'node' ? ['camera.snap'] : [],
  caps: [],
  displayName: `dev-${deviceId.slice(0, 4)}`,
});

/** Pending → approved by the owner → the device's first token. */
async function pair(deviceId: string, role: 'operator' | 'node', scopes: string[]): Promise<string> {
  const pending = await store.admit(claim(deviceId, role, scopes), undefined, { autoApprove: false });
  if (pending.kind !== 'pending') throw new Error(`expected pending, got ${pending.kind}`);
  await store.approve(pending.request.requestId);
  const admitted = await store.admit(claim(deviceId, role, scopes), undefined, { autoApprove: false });
  if (admitted.kind !== 'admitted' || !admitted.issuedToken) throw new Error('expected a token');
  return admitted.issuedToken;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tether-media-routes-'));
  store = await PairingStore.open({ stateDir: join(dir, 'state') });
  media = new MediaStore({ dir: join(dir, 'media') });
  tokens[READER] = await pair(READER, 'operator', ['operator.read']);
  tokens[WRITER] = await pair(WRITER, 'operator', ['operator.write']);
  tokens[NODE] = await pair(NODE, 'node', []);
  tokens[REVOKED] = await pair(REVOKED, 'operator', ['operator.read']);
  tokens[ADMIN] = await pair(ADMIN, 'operator', ['operator.admin']);
  await store.revokeToken(REVOKED, 'operator');
  const item = await media.put(Readable.from([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])]), 'png', NODE);
  mediaId = item.mediaId;
  const noop = () => {};
  const gateway = {
    config: { authMode: 'token' },
    sharedToken: SHARED,
    store,
    media,
    log: { debug: noop, info: noop, warn: noop, error: noop },
  } as unknown as GatewayContext;
  server = createServer((request, response) => {
    const wanted = (request.url ?? '').replace(/^\/media\//, '');
    void downloadMedia(gateway, request, response, wanted);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(headers: Record<string, string>, which = mediaId): Promise<{ status: number; code?: string; message?: string; bytes: number }> {
  const response = await fetch(`${origin}/media/${which}`, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status === 200) return { status: 200, bytes: body.length };
  const error = (JSON.parse(body.toString('utf8')) as { error: { code: string; message: string } }).error;
  return { status: response.status, code: error.code, message: error.message, bytes: body.length };
}

const device = (deviceId: string, token = tokens[deviceId]!) => ({ authorization: `Bearer ${token}`, 'x-tether-device-id': deviceId });

describe('GET /media/<id>: who may download', () => {
  it.each([
    ['both headers missing', {}],
    ['a device id without a token', { 'x-tether-device-id': READER }],
    ["a node's device token (role node)", () => device(NODE)],
    ['a revoked operator token', () => device(REVOKED)],
    ["another device's token under this device's id", () => device(READER, tokens[WRITER])],
    ["this device's token under another device's id", () => device(WRITER, tokens[READER])],
    ['an id in upper case', () => device(READER.toUpperCase(), tokens[READER])],
    ['an id one character short', () => device(READER.slice(1), tokens[READER])],
    ['an id with a path in it', () => device(`../${READER}`, tokens[READER])],
    ['an id that is not hex', () => device('z'.repeat(64), tokens[READER])],
    ['an unknown but well-formed id', () => device(id('f'), tokens[READER])],
    ['the token without "Bearer "', () => ({ authorization: tokens[READER]!, 'x-tether-device-id': READER })],
    ['a wrong token', () => device(READER, 'x'.repeat(43))],
  ] as const)('refuses %s with 401', async (_name, headers) => {
    const result = await get(typeof headers === 'function' ? headers() : headers);
    expect(result.status).toBe(401);
    expect(result.code).toBe('UNAUTHORIZED');
    expect(result.message).toMatch(/X-Tether-Device-Id/);
  });

  it('refuses a paired operator without operator.read with 403 naming the scope', async () => {
    const result = await get(device(WRITER));
    expect(result).toMatchObject({ status: 403, code: 'MISSING_SCOPE' });
    expect(result.message).toContain('operator.read');
  });

  it('a refusal says nothing about whether the media exists', async () => {
    expect((await get(device(NODE), id('0'))).status).toBe(401);
    expect((await get(device(WRITER), id('0'))).status).toBe(403);
  });

  it('serves a paired operator holding operator.read, by its device token', async () => {
    expect(await get(device(READER))).toEqual({ status: 200, bytes: 11 });
  });

  it('serves a paired operator holding operator.admin', async () => {
    expect(await get(device(ADMIN))).toEqual({ status: 200, bytes: 11 });
  });

  it('still serves the shared token, with or without a device id beside it', async () => {
    expect(await get({ authorization: `Bearer ${SHARED}` })).toEqual({ status: 200, bytes: 11 });
    expect(await get({ authorization: `Bearer ${SHARED}`, 'x-tether-device-id': NODE })).toEqual({ status: 200, bytes: 11 });
  });

  it('an authorized device asking for media that is not there gets 404', async () => {
    expect((await get(device(READER), id('0'))).status).toBe(404);
  });
});
