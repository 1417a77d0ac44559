/**
 * Invokes and live connections against a real gateway process: authorisation by role and scope,
 * a node dropping mid-invoke, idempotent retries, and revoke/remove closing live sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, type GatewayClient } from '@tether/protocol';
import { cleanup, eventually, startGatewayProcess, type GatewayProcess } from './helpers/processes.js';
import { answerInvokes, connectOperator, connectTestNode, sharedToken } from './helpers/clients.js';
import { newTestKey, openRawPeer, signedConnect } from './helpers/raw-client.js';
import { rejectionOf } from './helpers/rejection.js';

let gateway: GatewayProcess;
let operator: GatewayClient;
beforeAll(async () => {
  // Loopback nodes that present the shared token pair silently, which is what these tests want.
  gateway = await startGatewayProcess();
  operator = await connectOperator(gateway.url, gateway.stateDir);
});
afterAll(async () => {
  await operator?.close();
  await cleanup();
});

const failure = (promise: Promise<unknown>) => rejectionOf(promise, GatewayError);

function invoke(nodeId: string, params: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return operator.request<any>('node.invoke', { nodeId, command: 'system.which', params, idempotencyKey: crypto.randomUUID(), timeoutMs: 5_000, ...extra });
}

describe('authorisation', () => {
  it('refuses operator methods to a node with OpenClaw\'s exact message', async () => {
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    const error = await failure(node.client.request('node.list', {}));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe('unauthorized role: node');
    const unknown = await failure(node.client.request('node.runnerInventory.update', {}));
    expect(unknown.message).toBe('unknown method: node.runnerInventory.update');
    expect(await node.client.request('health', {})).toMatchObject({ ok: true });
    await node.client.close();
  });

  it('refuses an operator without the needed scope', async () => {
    const reader = await connectOperator(gateway.url, gateway.stateDir, ['operator.read']);
    expect(await reader.request('node.list', {})).toHaveProperty('nodes');
    const error = await failure(reader.request('node.invoke', { nodeId: 'x', command: 'system.which', idempotencyKey: 'k' }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toBe('missing scope: operator.write');
    expect(error.details).toMatchObject({ code: 'MISSING_SCOPE', missingScope: 'operator.write' });
    const pairing = await failure(reader.request('device.pair.list', {}));
    expect(pairing.message).toBe('missing scope: operator.pairing');
    await reader.close();
  });

  it('names invalid params', async () => {
    const error = await failure(operator.request('node.invoke', { nodeId: 'x', command: 'system.which' }));
    expect(error.message).toMatch(/invalid node.invoke params: .*idempotencyKey/);
  });
});

describe('invokes', () => {
  it('round-trips params as a JSON string and returns payload and payloadJSON', async () => {
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    // A valid system.which answer (results are checked against the schema) that carries the params back.
    const stop = answerInvokes(node, (request) => ({ payload: { bins: { echo: request.paramsJSON } } }));
    const result = await invoke(node.identity.deviceId, { bins: ['sh'] });
    stop();
    expect(result).toEqual({ ok: true, nodeId: node.identity.deviceId, command: 'system.which', payload: { bins: { echo: '{"bins":["sh"]}' } }, payloadJSON: '{"bins":{"echo":"{\\"bins\\":[\\"sh\\"]}"}}' });
    await node.client.close();
  });

  it('fails the caller at once with a retryable error (not at its deadline) when the node drops mid-invoke', async () => {
    // A bare socket plays the node so the test can cut it without a close handshake, as a crash would.
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'], token: sharedToken(gateway.stateDir) }));
    expect((await peer.nextFrame()).ok).toBe(true);
    const pending = failure(invoke(key.deviceId, {}, { timeoutMs: 20_000 }));
    let request = await peer.nextFrame();
    while (request.event !== 'node.invoke.request') request = await peer.nextFrame();
    peer.ws.terminate();
    const error = await pending;
    // NODE_DISCONNECTED, not TIMEOUT: the drop failed it, the 20 s deadline did not.
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ code: 'NODE_DISCONNECTED', nodeCommandDispatched: true });
  });

  it('times out with node.invoke.cancel to the node and TIMEOUT to the caller', async () => {
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    const error = await failure(invoke(node.identity.deviceId, {}, { timeoutMs: 300 }));
    expect(error.message).toBe('TIMEOUT: node invoke timed out');
    const cancel = await node.waitForEvent('node.invoke.cancel');
    expect(cancel.nodeId).toBe(node.identity.deviceId);
    await node.client.close();
  });

  it('runs a repeated idempotency key once and returns the first outcome', async () => {
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    let runs = 0;
    const stop = answerInvokes(node, () => ({ payload: { bins: { run: String(++runs) } } }));
    const key = crypto.randomUUID();
    const first = await invoke(node.identity.deviceId, {}, { idempotencyKey: key });
    const second = await invoke(node.identity.deviceId, {}, { idempotencyKey: key });
    const other = await invoke(node.identity.deviceId, {});
    stop();
    expect(first.payload).toEqual({ bins: { run: '1' } });
    expect(second.payload).toEqual({ bins: { run: '1' } });
    expect(other.payload).toEqual({ bins: { run: '2' } });
    expect(runs).toBe(2);
    await node.client.close();
  });

  it('reports an offline but paired node as not connected, and an unknown one as unknown', async () => {
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir) });
    await node.client.close();
    // The gateway sees the close a moment after the client does.
    await eventually(async () => {
      const { nodes } = await operator.request<{ nodes: { nodeId: string; connected: boolean }[] }>('node.list', {});
      return nodes.some((n) => n.nodeId === node.identity.deviceId && !n.connected) ? true : undefined;
    });
    const offline = await failure(invoke(node.identity.deviceId));
    expect(offline.details).toMatchObject({ code: 'NOT_CONNECTED', nodeCommandDispatched: false });
    const unknown = await failure(invoke('f'.repeat(64)));
    expect(unknown.details).toMatchObject({ code: 'UNKNOWN_NODE' });
  });
});

describe('revoking and removing', () => {
  it('closes the socket at once when a token is revoked, and the node must be approved again', async () => {
    const node = await connectTestNode(gateway.url, { displayName: 'to-revoke', token: sharedToken(gateway.stateDir) });
    const result = await operator.request<any>('device.token.revoke', { deviceId: node.identity.deviceId, role: 'node' });
    expect(result.disconnected).toBe(1);
    expect(await node.disconnected).toBe('4001 client invalidated: device token revoked');
    const again = await failure(node.client.connect());
    expect(again.details).toMatchObject({ code: 'PAIRING_REQUIRED', reason: 'token-revoked' });
  });

  it('closes the socket at once when the device is removed', async () => {
    const node = await connectTestNode(gateway.url, { displayName: 'to-remove', token: sharedToken(gateway.stateDir) });
    const removed = await operator.request<any>('device.pair.remove', { deviceId: node.identity.deviceId });
    expect(removed.disconnected).toBe(1);
    expect(await node.disconnected).toBe('4001 client invalidated: device removed');
    const list = await operator.request<any>('device.pair.list', {});
    expect(list.paired.map((d: any) => d.deviceId)).not.toContain(node.identity.deviceId);
  });
});
