/** A bare WebSocket peer for handshake tests: it sends exactly the frames a test crafts. */
import { generateKeyPairSync, sign } from 'node:crypto';
import WebSocket from 'ws';
import { buildDeviceAuthPayloadV3, deriveDeviceId, type ConnectParams } from '@tether/protocol';

export interface RawPeer {
  ws: WebSocket;
  challenge: { nonce: string; ts: number; gatewayPublicKey?: string };
  /** Frames received after the challenge, in order. */
  nextFrame(timeoutMs?: number): Promise<Record<string, any>>;
  closed: Promise<{ code: number; reason: string; atMs: number }>;
  send(value: unknown): void;
}

/** `headers`: extra upgrade headers, e.g. the `Origin` a browser page would send. */
export async function openRawPeer(url: string, options: { headers?: Record<string, string> } = {}): Promise<RawPeer> {
  const ws = new WebSocket(url, { headers: options.headers });
  const frames: Record<string, any>[] = [];
  const waiters: ((frame: Record<string, any>) => void)[] = [];
  const closed = new Promise<{ code: number; reason: string; atMs: number }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), atMs: Date.now() })),
  );
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, any>;
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const nextFrame = (timeoutMs = 5_000) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const queued = frames.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('no frame arrived')), timeoutMs);
      waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  const first = await nextFrame();
  if (first.event !== 'connect.challenge') throw new Error(`expected connect.challenge, got ${JSON.stringify(first)}`);
  return { ws, challenge: first.payload, nextFrame, closed, send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)) };
}

export interface TestKey {
  deviceId: string;
  publicKey: string;
  sign(payload: string): string;
}

export function newTestKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    deviceId: deriveDeviceId(raw),
    publicKey: raw.toString('base64url'),
    sign: (payload) => sign(null, Buffer.from(payload), privateKey).toString('base64url'),
  };
}

export interface SignedConnectOptions {
  /** Sent as auth.deviceToken (and signed), when no `token` is given. */
  deviceToken?: string;
  role?: 'node' | 'operator';
  scopes?: string[];
  token?: string;
  nonce?: string;
  signedAt?: number;
  deviceId?: string;
  commands?: string[];
  signWith?: TestKey;
  minProtocol?: number;
  maxProtocol?: number;
  /** Tether's node-agent announces itself so the gateway refuses (not holds) it while pending; default that. */
  userAgent?: string | null;
  displayName?: string;
  caps?: string[];
}

/** A connect request signed like a real node host (v3 payload over the challenge). */
export function signedConnect(key: TestKey, challenge: { nonce: string; ts: number }, o: SignedConnectOptions = {}): Record<string, unknown> {
  const role = o.role ?? 'node';
  const scopes = o.scopes ?? [];
  const nonce = o.nonce ?? challenge.nonce;
  const signedAt = o.signedAt ?? challenge.ts;
  const client = { id: role === 'node' ? 'node-host' : 'test', mode: role === 'node' ? 'node' : 'test', version: 'test', platform: 'linux', deviceFamily: 'Linux', displayName: o.displayName ?? 'raw-peer' };
  const deviceId = o.deviceId ?? key.deviceId;
  const payload = buildDeviceAuthPayloadV3({
    deviceId,
    clientId: client.id,
    clientMode: client.mode,
    role,
    scopes,
    signedAtMs: signedAt,
    token: o.token ?? o.deviceToken ?? '',
    nonce,
    platform: client.platform,
    deviceFamily: client.deviceFamily,
  });
  const params: ConnectParams = {
    minProtocol: o.minProtocol ?? 3,
    maxProtocol: o.maxProtocol ?? 4,
    client,
    role,
    scopes,
    caps: o.caps ?? [],
    commands: o.commands ?? [],
    device: { id: deviceId, publicKey: key.publicKey, signature: (o.signWith ?? key).sign(payload), signedAt, nonce },
  };
  if (o.token) params.auth = { token: o.token };
  else if (o.deviceToken) params.auth = { deviceToken: o.deviceToken };
  if (o.userAgent !== null) params.userAgent = o.userAgent ?? 'tether-node/test';
  return { type: 'req', id: '1:test', method: 'connect', params };
}
