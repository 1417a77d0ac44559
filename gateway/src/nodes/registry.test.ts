import { GatewayError } from '@tether/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../connection.js';
import { NodeRegistry, type NodeSession } from './registry.js';

interface SentEvent {
  event: string;
  payload: Record<string, unknown>;
}

function fakeConnection() {
  const events: SentEvent[] = [];
  const connection = {
    sendEvent: (event: string, payload: unknown) => events.push({ event, payload: payload as Record<string, unknown> }),
  } as unknown as Connection;
  return { connection, events };
}

function nodeSession(connection: Connection, nodeId = 'node-1'): NodeSession {
  return {
    nodeId,
    connection,
    clientId: 'node-host',
    clientMode: 'node',
    remoteIp: '127.0.0.1',
    caps: ['system'],
    declaredCommands: ['system.run', 'system.which'],
    approvedCommands: new Set(['system.run', 'system.which']),
    connectedAtMs: 0,
  };
}

function setup(nodeId = 'node-1') {
  const registry = new NodeRegistry();
  const { connection, events } = fakeConnection();
  const session = nodeSession(connection, nodeId);
  registry.register(session);
  return { registry, connection, events, session };
}

/** Catches a rejection as a GatewayError (and fails the test if it resolved or threw something else). */
async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the invoke to reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('NodeRegistry.invoke', () => {
  it('sends node.invoke.request with paramsJSON as a string', () => {
    const { registry, events, session } = setup();
    void registry
      .invoke(session, { command: 'system.which', params: { bins: ['uname'] }, timeoutMs: 15000, idempotencyKey: 'key-1', sessionKey: 's-1' })
      .catch(() => undefined);
    expect(events).toHaveLength(1);
    const [sent] = events;
    expect(sent!.event).toBe('node.invoke.request');
    expect(sent!.payload).toEqual({
      id: expect.stringMatching(UUID),
      nodeId: 'node-1',
      command: 'system.which',
      paramsJSON: '{"bins":["uname"]}',
      timeoutMs: 15000,
      idempotencyKey: 'key-1',
      sessionKey: 's-1',
    });
    expect(registry.inFlightCount).toBe(1);
    registry.failAll(new GatewayError({ code: 'UNAVAILABLE', message: 'test over' }));
  });

  it('sends paramsJSON "{}" (never null) when there are no params, and omits absent keys', () => {
    const { registry, events, session } = setup();
    void registry.invoke(session, { command: 'device.info', params: undefined, timeoutMs: 1000 }).catch(() => undefined);
    expect(events[0]!.payload.paramsJSON).toBe('{}');
    expect(events[0]!.payload).not.toHaveProperty('idempotencyKey');
    expect(events[0]!.payload).not.toHaveProperty('sessionKey');
    registry.failAll(new GatewayError({ code: 'UNAVAILABLE', message: 'test over' }));
  });

  it('gives every invoke its own id', () => {
    const { registry, events, session } = setup();
    void registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 1000 }).catch(() => undefined);
    void registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 1000 }).catch(() => undefined);
    expect(events[0]!.payload.id).not.toBe(events[1]!.payload.id);
    expect(registry.inFlightCount).toBe(2);
    registry.failAll(new GatewayError({ code: 'UNAVAILABLE', message: 'test over' }));
  });
});

describe('NodeRegistry.complete', () => {
  it('resolves the matching invoke with the parsed payload and the raw payloadJSON', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'system.which', params: { bins: ['uname'] }, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    const payloadJSON = '{"bins":{"uname":"/usr/bin/uname"}}';
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payloadJSON })).toBe(true);
    await expect(outcome).resolves.toEqual({ payload: { bins: { uname: '/usr/bin/uname' } }, payloadJSON });
    expect(registry.inFlightCount).toBe(0);
  });

  it('refuses a result that breaks its command schema, and never relays it', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'system.which', params: { bins: ['uname'] }, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payloadJSON: '{"bins":{"uname":42}}' })).toBe(true);
    const error = await outcome.then(() => undefined, (e: GatewayError) => e);
    expect(error?.detailCode).toBe('INVALID_NODE_RESULT');
    expect(JSON.stringify(error?.toShape())).not.toContain('42');
  });

  it('ends the invoke even when the result cannot be decoded (a payload nested too deep to serialise)', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deep = { d: deep };
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payload: deep })).toBe(true);
    const error = await outcome.then(() => undefined, (e: GatewayError) => e);
    expect(error?.detailCode).toBe('INVALID_NODE_RESULT');
    expect(registry.inFlightCount).toBe(0);
  });

  it.each([
    ['the gateway-only PAIRING_REQUIRED', 'PAIRING_REQUIRED', 'NODE_ERROR'],
    ['a code with spaces and escapes', 'X\u001b[2J Y', 'NODE_ERROR'],
    ['the gateway-only NOT_CONNECTED (would read as "paired but offline")', 'NOT_CONNECTED', 'NODE_ERROR'],
    ['an ordinary node code', 'CAMERA_UNAVAILABLE', 'CAMERA_UNAVAILABLE'],
  ])('relays a node error code only when it is the node’s own: %s', async (_name, code, expected) => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    registry.complete(connection, { id, nodeId: 'node-1', ok: false, error: { code, message: 'm' } });
    const error = await outcome.then(() => undefined, (e: GatewayError) => e);
    expect(error?.detailCode).toBe(expected);
  });

  it.each([
    ['payload object instead of payloadJSON', { payload: { a: 1 } }, { payload: { a: 1 }, payloadJSON: '{"a":1}' }],
    ['unparsable payloadJSON', { payloadJSON: 'not json{' }, { payload: { payloadJSON: 'not json{' }, payloadJSON: 'not json{' }],
    ['neither payload nor payloadJSON', {}, { payload: null, payloadJSON: null }],
    ['payloadJSON null', { payloadJSON: null }, { payload: null, payloadJSON: null }],
  ])('decodes %s', async (_name, fields, expected) => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    registry.complete(connection, { id: events[0]!.payload.id as string, nodeId: 'node-1', ok: true, ...fields });
    await expect(outcome).resolves.toEqual(expected);
  });

  it('ignores a result from another connection, then accepts the right one', async () => {
    const { registry, connection, events, session } = setup();
    const other = fakeConnection().connection;
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    expect(registry.complete(other, { id, nodeId: 'node-1', ok: true, payloadJSON: '"forged"' })).toBe(false);
    expect(registry.inFlightCount).toBe(1);
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payloadJSON: '"real"' })).toBe(true);
    await expect(outcome).resolves.toEqual({ payload: 'real', payloadJSON: '"real"' });
  });

  it('ignores a result naming another node, an unknown id, and a late duplicate', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    const id = events[0]!.payload.id as string;
    expect(registry.complete(connection, { id, nodeId: 'node-2', ok: true })).toBe(false);
    expect(registry.complete(connection, { id: 'no-such-invoke', nodeId: 'node-1', ok: true })).toBe(false);
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payloadJSON: '1' })).toBe(true);
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true, payloadJSON: '2' })).toBe(false);
    await expect(outcome).resolves.toEqual({ payload: 1, payloadJSON: '1' });
  });

  it('turns a node error into UNAVAILABLE "CODE: message" with details.nodeError', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'fs.listDir', params: {}, timeoutMs: 15000 });
    const message = "Error: ENOENT: no such file or directory, scandir '/nonexistent-dir'";
    registry.complete(connection, { id: events[0]!.payload.id as string, nodeId: 'node-1', ok: false, error: { code: 'INVALID_REQUEST', message } });
    const error = await rejection(outcome);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(`INVALID_REQUEST: ${message}`);
    expect(error.details).toMatchObject({ nodeError: { code: 'INVALID_REQUEST', message }, nodeCommandDispatched: true });
  });

  it.each([
    ['error without code or message', { error: {} }, 'UNAVAILABLE: node reported an error'],
    ['error null', { error: null }, 'UNAVAILABLE: node reported an error'],
    ['only a message', { error: { message: 'command not supported' } }, 'UNAVAILABLE: command not supported'],
  ])('fills in a node error with %s', async (_name, fields, message) => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 15000 });
    registry.complete(connection, { id: events[0]!.payload.id as string, nodeId: 'node-1', ok: false, ...fields });
    const error = await rejection(outcome);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe(message);
  });
});

describe('NodeRegistry timeouts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends node.invoke.cancel {invokeId, nodeId} and rejects with TIMEOUT at the deadline', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: { command: ['sleep', '3'] }, timeoutMs: 1000 });
    const settled = rejection(outcome);
    const id = events[0]!.payload.id as string;
    await vi.advanceTimersByTimeAsync(999);
    expect(events).toHaveLength(1);
    expect(registry.inFlightCount).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(events[1]).toEqual({ event: 'node.invoke.cancel', payload: { invokeId: id, nodeId: 'node-1' } });
    const error = await settled;
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('TIMEOUT: node invoke timed out');
    expect(error.details).toMatchObject({ code: 'TIMEOUT', nodeError: { code: 'TIMEOUT', message: 'node invoke timed out' }, nodeCommandDispatched: true });
    expect(registry.inFlightCount).toBe(0);
    // A result arriving after the deadline is dropped.
    expect(registry.complete(connection, { id, nodeId: 'node-1', ok: true })).toBe(false);
  });

  it('does not cancel an invoke that completed in time', async () => {
    const { registry, connection, events, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 1000 });
    registry.complete(connection, { id: events[0]!.payload.id as string, nodeId: 'node-1', ok: true, payloadJSON: '{}' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(events.map((e) => e.event)).toEqual(['node.invoke.request']);
    await expect(outcome).resolves.toEqual({ payload: {}, payloadJSON: '{}' });
  });
});

describe('NodeRegistry.unregister', () => {
  it('rejects in-flight invokes at once with a retryable NODE_DISCONNECTED', async () => {
    const { registry, connection, session } = setup();
    const outcome = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 60_000 });
    registry.unregister(connection, 'node-1');
    const error = await rejection(outcome);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('node disconnected (device.info)');
    expect(error.retryable).toBe(true);
    expect(error.details?.code).toBe('NODE_DISCONNECTED');
    expect(error.toShape().retryable).toBe(true);
    expect(registry.inFlightCount).toBe(0);
    expect(registry.get('node-1')).toBeUndefined();
    expect(registry.connectedCount).toBe(0);
    expect(registry.lastDisconnectedAtMs('node-1')).toBeTypeOf('number');
  });

  it('leaves invokes on other connections alone', async () => {
    const registry = new NodeRegistry();
    const a = fakeConnection();
    const b = fakeConnection();
    const sessionA = nodeSession(a.connection, 'node-a');
    const sessionB = nodeSession(b.connection, 'node-b');
    registry.register(sessionA);
    registry.register(sessionB);
    const outcomeA = registry.invoke(sessionA, { command: 'device.info', params: {}, timeoutMs: 60_000 });
    const outcomeB = registry.invoke(sessionB, { command: 'device.info', params: {}, timeoutMs: 60_000 });
    registry.unregister(a.connection, 'node-a');
    await rejection(outcomeA);
    expect(registry.inFlightCount).toBe(1);
    expect(registry.get('node-b')).toBe(sessionB);
    registry.complete(b.connection, { id: b.events[0]!.payload.id as string, nodeId: 'node-b', ok: true, payloadJSON: 'true' });
    await expect(outcomeB).resolves.toEqual({ payload: true, payloadJSON: 'true' });
  });

  it('keeps a newer connection of the same node registered when the old one goes', () => {
    const registry = new NodeRegistry();
    const old = fakeConnection();
    const fresh = fakeConnection();
    registry.register(nodeSession(old.connection));
    const current = nodeSession(fresh.connection);
    registry.register(current);
    registry.unregister(old.connection, 'node-1');
    expect(registry.get('node-1')).toBe(current);
    expect(registry.lastDisconnectedAtMs('node-1')).toBeUndefined();
  });
});

describe('NodeRegistry.failAll', () => {
  it('rejects everything in flight with the given error', async () => {
    const { registry, session } = setup();
    const shutdown = new GatewayError({ code: 'UNAVAILABLE', message: 'gateway shutting down', details: { code: 'SHUTTING_DOWN' } });
    const first = registry.invoke(session, { command: 'device.info', params: {}, timeoutMs: 60_000 });
    const second = registry.invoke(session, { command: 'system.which', params: {}, timeoutMs: 60_000 });
    registry.failAll(shutdown);
    expect(await rejection(first)).toBe(shutdown);
    expect(await rejection(second)).toBe(shutdown);
    expect(registry.inFlightCount).toBe(0);
  });
});
