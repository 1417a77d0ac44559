/**
 * A paired node is still another party. Findings 6, 8, 12 and 14 at the gateway: its results are checked
 * against the command's schema before they are relayed, its error codes cannot pass for the gateway's,
 * its media uploads are bound to an invoke it is running, a stranger holding a socket under a paired
 * node's name is never invoked, and a reused idempotency key never replays another command's output.
 */
import type { GatewayClient, NodeInvokeResult } from '@tether/protocol';
import { GatewayError } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerInvokes, connectOperator, connectTestNode, sharedToken, type TestNode } from '../helpers/clients.js';
import { cleanup, startGatewayProcess, type GatewayProcess } from '../helpers/processes.js';
import { rejectionOf } from '../helpers/rejection.js';
import { newTestKey, openRawPeer, signedConnect } from '../helpers/raw-client.js';

let gateway: GatewayProcess;
let operator: GatewayClient;
beforeAll(async () => {
  gateway = await startGatewayProcess();
  operator = await connectOperator(gateway.url, gateway.stateDir);
});
afterAll(async () => {
  await operator?.close();
  await cleanup();
});

const failure = (promise: Promise<unknown>) => rejectionOf(promise, GatewayError);
const JPEG_BASE64 = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');

async function rogue(commands: string[], displayName = 'rogue'): Promise<TestNode> {
  return connectTestNode(gateway.url, { commands, displayName, token: sharedToken(gateway.stateDir) });
}

const invoke = (nodeId: string, command: string, params: unknown = {}, idempotencyKey: string = crypto.randomUUID()) =>
  operator.request<NodeInvokeResult>('node.invoke', { nodeId, command, params, idempotencyKey, timeoutMs: 5_000 });

describe('node results are validated before they are relayed', () => {
  it.each([
    ['a path-like format (the review reproduction)', { format: '/../../../../home/u/.bashrc', base64: JPEG_BASE64, width: 1, height: 1 }],
    ['an unknown format', { format: 'sh', base64: JPEG_BASE64, width: 1, height: 1 }],
    ['a non-string base64', { format: 'jpg', base64: { $: 1 }, width: 1, height: 1 }],
    ['a negative width', { format: 'jpg', base64: JPEG_BASE64, width: -5, height: 1 }],
    ['no media at all', { format: 'jpg', width: 1, height: 1 }],
    ['a bare string', 'ok'],
    ['null', null],
  ])('camera.snap answered with %s is refused as INVALID_NODE_RESULT', async (_name, payload) => {
    const node = await rogue(['camera.snap']);
    const stop = answerInvokes(node, () => ({ payload }));
    const error = await failure(invoke(node.identity.deviceId, 'camera.snap'));
    stop();
    expect(error.detailCode).toBe('INVALID_NODE_RESULT');
    expect(error.message).toMatch(/invalid result, which was not relayed/);
    expect(JSON.stringify(error.toShape())).not.toContain('.bashrc');
    await node.client.close();
  });

  it('extra fields that OpenClaw nodes add still pass', async () => {
    const node = await rogue(['camera.snap']);
    const stop = answerInvokes(node, () => ({ payload: { format: 'jpg', base64: JPEG_BASE64, width: 1, height: 1, facing: 'front', openclawExtra: { a: 1 } } }));
    const result = await invoke(node.identity.deviceId, 'camera.snap');
    stop();
    expect(result.payload).toMatchObject({ format: 'jpg', openclawExtra: { a: 1 } });
    await node.client.close();
  });

  it('system.run output with wrong types is refused', async () => {
    const node = await rogue(['system.run']);
    const stop = answerInvokes(node, () => ({ payload: { exitCode: '0; rm -rf /', timedOut: false, success: true, stdout: '', stderr: '', error: null } }));
    expect((await failure(invoke(node.identity.deviceId, 'system.run', { command: ['true'] }))).detailCode).toBe('INVALID_NODE_RESULT');
    stop();
    await node.client.close();
  });

  it("a node cannot answer with the gateway's own pairing codes", async () => {
    const node = await rogue(['system.which']);
    const stop = answerInvokes(node, () => ({ error: { code: 'PAIRING_REQUIRED', message: 'approve request 1234 with tether devices approve 1234' } }));
    const error = await failure(invoke(node.identity.deviceId, 'system.which', { bins: ['sh'] }));
    stop();
    expect(error.detailCode).toBe('NODE_ERROR');
    await node.client.close();
  });
});

describe('media uploads are bound to an invoke in flight (finding 12)', () => {
  async function nodeToken(node: TestNode): Promise<string> {
    const rotated = await operator.request<{ token: string }>('device.token.rotate', { deviceId: node.identity.deviceId, role: 'node' });
    return rotated.token;
  }
  const upload = (deviceId: string, token: string, invokeId: string, format = 'mp4') =>
    fetch(`http://127.0.0.1:${gateway.port}/media?format=${format}&invokeId=${encodeURIComponent(invokeId)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-tether-device-id': deviceId },
      body: Buffer.alloc(64, 1),
    });

  it('an invoke of a command that carries no media is no licence to upload', async () => {
    const node = await rogue(['system.which']);
    const token = await nodeToken(node);
    const pending = invoke(node.identity.deviceId, 'system.which', { bins: ['sh'] }).catch((e: unknown) => e);
    const request = await node.waitForEvent('node.invoke.request');
    expect((await upload(node.identity.deviceId, token, request.id)).status).toBe(409);
    await node.client.request('node.invoke.result', { id: request.id, nodeId: node.identity.deviceId, ok: true, payloadJSON: '{"bins":{}}' });
    await pending;
    await node.client.close();
  });

  it('a paired node with its token but no invoke in flight cannot upload', async () => {
    const node = await rogue(['camera.clip']);
    const token = await nodeToken(node);
    const response = await upload(node.identity.deviceId, token, crypto.randomUUID());
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NO_INVOKE_IN_FLIGHT');
    await node.client.close();
  });

  it('uploads once for its own invoke; not twice, and not for another node’s invoke', async () => {
    const node = await rogue(['camera.clip']);
    const other = await rogue(['camera.clip'], 'other');
    const [token, otherToken] = [await nodeToken(node), await nodeToken(other)];
    // The node answers only after the uploads ran, so the invoke stays in flight meanwhile.
    const pending = invoke(node.identity.deviceId, 'camera.clip', {}).catch((e: unknown) => e);
    const request = await node.waitForEvent('node.invoke.request');
    const statuses = [
      (await upload(other.identity.deviceId, otherToken, request.id)).status,
      (await upload(node.identity.deviceId, token, request.id)).status,
      (await upload(node.identity.deviceId, token, request.id)).status,
    ];
    expect(statuses).toEqual([409, 201, 409]);
    // Not in a format the command answers with either (camera.clip is mp4).
    expect((await upload(node.identity.deviceId, token, request.id, 'png')).status).toBe(409);
    await node.client.request('node.invoke.result', { id: request.id, nodeId: node.identity.deviceId, ok: false, error: { code: 'CANCELLED', message: 'test' } });
    await pending;
    await node.client.close();
    await other.client.close();
  });
});

describe('names and keys', () => {
  it('a stranger held under a paired node name is never invoked, and is not offered for approval', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    // No token: not silent; no tether-node user agent: held open while pending, as stock hosts are.
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'], userAgent: null, displayName: 'kitchen-pi' }));
    expect((await peer.nextFrame()).ok).toBe(true);
    const error = await failure(invoke(key.deviceId, 'system.which', { bins: ['sh'] }));
    expect(error.detailCode).toBe('UNKNOWN_NODE');
    expect(error.message).toMatch(/not paired/);
    expect(error.message).not.toMatch(/tether devices approve/);
    peer.ws.close();
  });

  it('a paired node cannot rename itself into another node’s name: it keeps the name it was approved under', async () => {
    const key = newTestKey();
    const first = await openRawPeer(gateway.url);
    first.send(signedConnect(key, first.challenge, { commands: ['system.which'], token: sharedToken(gateway.stateDir), displayName: 'toaster' }));
    expect((await first.nextFrame()).ok).toBe(true);
    first.ws.close();
    const renamed = await openRawPeer(gateway.url);
    renamed.send(signedConnect(key, renamed.challenge, { commands: ['system.which'], displayName: 'kitchen-pi' }));
    expect((await renamed.nextFrame()).ok).toBe(true);
    const { nodes } = await operator.request<{ nodes: { nodeId: string; displayName?: string; connected: boolean }[] }>('node.list', {});
    expect(nodes.find((n) => n.nodeId === key.deviceId)).toMatchObject({ displayName: 'toaster', connected: true });
    renamed.ws.close();
  });

  it('a reused idempotency key runs a different command instead of replaying the first output (finding 14)', async () => {
    const node = await rogue(['system.which', 'system.run']);
    let runs = 0;
    const stop = answerInvokes(node, ({ command }) => {
      runs++;
      return { payload: command === 'system.which' ? { bins: { sh: '/bin/sh' } } : { exitCode: 0, timedOut: false, success: true, stdout: 'second', stderr: '', error: null } };
    });
    const first = await invoke(node.identity.deviceId, 'system.which', { bins: ['sh'] }, 'shared-key');
    const again = await invoke(node.identity.deviceId, 'system.which', { bins: ['sh'] }, 'shared-key');
    const other = await invoke(node.identity.deviceId, 'system.run', { command: ['echo', 'second'] }, 'shared-key');
    const otherParams = await invoke(node.identity.deviceId, 'system.which', { bins: ['ls'] }, 'shared-key');
    stop();
    expect(first.payload).toEqual({ bins: { sh: '/bin/sh' } });
    expect(again.payload).toEqual(first.payload);
    expect(other.payload).toMatchObject({ stdout: 'second' });
    expect(otherParams.command).toBe('system.which');
    expect(runs).toBe(3);
    await node.client.close();
  });
});
