/**
 * Every way a connect can be wrong, against a real gateway process: each gets OpenClaw's wire code,
 * a stable details.code, and the close code from the reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startGatewayProcess, type GatewayProcess } from './helpers/processes.js';
import { connectOperator, sharedToken } from './helpers/clients.js';
import { newTestKey, openRawPeer, signedConnect } from './helpers/raw-client.js';

let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
});
afterAll(cleanup);

async function expectRefused(frame: unknown, expected: { code: string; detail?: string; message?: RegExp; close: number; reason?: RegExp }) {
  const peer = await openRawPeer(gateway.url);
  peer.send(frame);
  const res = await peer.nextFrame();
  expect(res).toMatchObject({ type: 'res', id: '1:test', ok: false, error: { code: expected.code } });
  if (expected.detail) expect(res.error.details.code).toBe(expected.detail);
  if (expected.message) expect(res.error.message).toMatch(expected.message);
  const closed = await peer.closed;
  expect(closed.code).toBe(expected.close);
  if (expected.reason) expect(closed.reason).toMatch(expected.reason);
  return res;
}

describe('device proof', () => {
  it('sends a challenge with a UUID nonce, an integer ts and the gateway key', async () => {
    const peer = await openRawPeer(gateway.url);
    expect(peer.challenge.nonce).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isInteger(peer.challenge.ts)).toBe(true);
    expect(peer.challenge.gatewayPublicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    peer.ws.close();
  });

  it('refuses a wrong signature', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { signWith: newTestKey() }));
    const res = await peer.nextFrame();
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'device signature invalid', details: { code: 'DEVICE_AUTH_SIGNATURE_INVALID', reason: 'device-signature' } });
    expect((await peer.closed).code).toBe(1008);
  });

  it('refuses a replayed connect signed over an earlier nonce', async () => {
    const key = newTestKey();
    const first = await openRawPeer(gateway.url);
    const captured = signedConnect(key, first.challenge);
    first.ws.close();
    const peer = await openRawPeer(gateway.url);
    peer.send(captured);
    const res = await peer.nextFrame();
    expect(res.error.details.code).toBe('DEVICE_AUTH_NONCE_MISMATCH');
    expect((await peer.closed).reason).toBe('device nonce mismatch');
  });

  it('refuses a stale signedAt', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { signedAt: peer.challenge.ts - 10 * 60_000 }));
    const res = await peer.nextFrame();
    expect(res.error).toMatchObject({ message: 'device signature expired', details: { code: 'DEVICE_AUTH_SIGNATURE_EXPIRED' } });
  });

  it('refuses a different key claiming an existing deviceId', async () => {
    const owner = newTestKey();
    const impostor = newTestKey();
    const peer = await openRawPeer(gateway.url);
    // The impostor signs correctly with its own key but claims the owner's id.
    peer.send(signedConnect(impostor, peer.challenge, { deviceId: owner.deviceId }));
    const res = await peer.nextFrame();
    expect(res.error).toMatchObject({ message: 'device identity mismatch', details: { code: 'DEVICE_AUTH_DEVICE_ID_MISMATCH' } });
    expect((await peer.closed).code).toBe(1008);
  });

  it('asks an unpaired node to wait, with the hints that keep stock node hosts retrying', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'] }));
    const res = await peer.nextFrame();
    expect(res.error).toMatchObject({
      code: 'NOT_PAIRED',
      retryable: true,
      details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', deviceId: key.deviceId, requestedRole: 'node', pauseReconnect: false, recommendedNextStep: 'wait_then_retry' },
    });
    expect(res.error.details.verificationCode).toMatch(/^[0-9A-Z]{8}$/);
    const closed = await peer.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe(`pairing required: device is not approved yet (requestId: ${res.error.details.requestId})`);
  });

  it('holds a pending node that does not retry by itself (a stock OpenClaw node host) until it is approved', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'], userAgent: null }));
    const hello = await peer.nextFrame();
    expect(hello).toMatchObject({ ok: true, payload: { type: 'hello-ok', auth: { role: 'node', scopes: [] } } });
    expect(hello.payload.auth.deviceToken).toBeUndefined();

    const operator = await connectOperator(gateway.url, gateway.stateDir);
    const { nodes } = await operator.request<{ nodes: any[] }>('node.list', {});
    const held = nodes.find((n) => n.nodeId === key.deviceId);
    expect(held).toMatchObject({ connected: true, paired: false, approvalState: 'pending-approval', commands: [] });
    const refused = await operator
      .request('node.invoke', { nodeId: key.deviceId, command: 'system.which', params: {}, idempotencyKey: 'held-1' })
      .catch((error: unknown) => error as { message: string; details: { code: string } });
    // Not paired yet: nothing runs there, and the answer says so (it never offers to approve a stranger).
    expect(refused).toMatchObject({ details: { code: 'UNKNOWN_NODE', paired: false } });

    await operator.request('device.pair.approve', { requestId: held.pendingRequestId });
    let resolved = await peer.nextFrame();
    while (resolved.event !== 'node.pair.resolved') resolved = await peer.nextFrame();
    expect(resolved.payload).toMatchObject({ nodeId: key.deviceId, decision: 'approved' });
    const after = await operator.request<{ nodes: any[] }>('node.list', {});
    expect(after.nodes.find((n) => n.nodeId === key.deviceId)).toMatchObject({ connected: true, approvalState: 'approved', commands: ['system.which'] });
    await operator.close();
    peer.ws.close();
  });

  it('requires a device identity from nodes', async () => {
    const connect = signedConnect(newTestKey(), { nonce: 'x', ts: Date.now() });
    delete (connect.params as Record<string, unknown>).device;
    await expectRefused(connect, { code: 'NOT_PAIRED', detail: 'DEVICE_IDENTITY_REQUIRED', close: 1008 });
  });
});

describe('frames before hello-ok', () => {
  it('closes on a first request that is not connect', async () => {
    await expectRefused(
      { type: 'req', id: '1:test', method: 'node.list', params: {} },
      { code: 'INVALID_REQUEST', message: /first request must be connect/, close: 1008 },
    );
  });

  it('closes on non-JSON without answering', async () => {
    const peer = await openRawPeer(gateway.url);
    peer.send('this is not json');
    const closed = await peer.closed;
    expect(closed).toMatchObject({ code: 1008, reason: 'invalid request frame' });
  });

  it('closes with 1009 on a 70 KiB frame before hello-ok', async () => {
    const peer = await openRawPeer(gateway.url);
    peer.send({ type: 'req', id: '1', method: 'connect', params: { padding: 'x'.repeat(70 * 1024) } });
    const closed = await peer.closed;
    expect(closed).toMatchObject({ code: 1009, reason: 'preauth payload too large' });
  });

  it('names the bad field in invalid connect params', async () => {
    const connect = signedConnect(newTestKey(), { nonce: 'x', ts: Date.now() }) as { params: Record<string, unknown> };
    connect.params.bogusField = 1;
    await expectRefused(connect, { code: 'INVALID_REQUEST', message: /invalid connect params: .*bogusField/, close: 1008 });
  });

  it('refuses a protocol range outside 3..4 with the expected version', async () => {
    const res = await expectRefused(
      { ...signedConnect(newTestKey(), { nonce: 'x', ts: Date.now() }, { minProtocol: 5, maxProtocol: 6 }) },
      { code: 'INVALID_REQUEST', detail: 'PROTOCOL_MISMATCH', close: 1002, reason: /protocol mismatch/ },
    );
    expect(res.error.details.expectedProtocol).toBe(4);
  });

  it('refuses a wrong shared token', async () => {
    await expectRefused(
      {
        type: 'req',
        id: '1:test',
        method: 'connect',
        params: { minProtocol: 4, maxProtocol: 4, client: { id: 'cli', mode: 'cli', version: 't', platform: 'linux' }, role: 'operator', scopes: ['operator.read'], auth: { token: 'wrong-token-wrong-token' } },
      },
      { code: 'INVALID_REQUEST', detail: 'AUTH_TOKEN_MISMATCH', message: /gateway token mismatch/, close: 1008 },
    );
  });

  it('admits the shared token with exactly the scopes asked for, on protocol 3 too', async () => {
    const peer = await openRawPeer(gateway.url);
    peer.send({
      type: 'req',
      id: '1:test',
      method: 'connect',
      params: { minProtocol: 3, maxProtocol: 3, client: { id: 'cli', mode: 'cli', version: 't', platform: 'linux' }, role: 'operator', scopes: ['operator.read'], auth: { token: sharedToken(gateway.stateDir) } },
    });
    const res = await peer.nextFrame();
    expect(res).toMatchObject({ ok: true, payload: { type: 'hello-ok', protocol: 3, auth: { role: 'operator', scopes: ['operator.read'] } } });
    expect(Object.keys(res).sort()).toEqual(['id', 'ok', 'payload', 'type']);
    expect(res.payload.features.methods).toEqual(expect.arrayContaining(['health', 'node.invoke', 'node.invoke.result', 'device.pair.approve']));
    expect(res.payload.policy).toEqual({ maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 });
    peer.ws.close();
  });

  it('closes a socket that sends nothing for 15 s', async () => {
    const peer = await openRawPeer(gateway.url);
    const openedAt = Date.now();
    const closed = await peer.closed;
    expect(closed.code).toBe(1000);
    expect(closed.atMs - openedAt).toBeGreaterThanOrEqual(14_500);
    expect(closed.atMs - openedAt).toBeLessThan(17_000);
  }, 25_000);
});
