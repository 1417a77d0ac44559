/**
 * The gateway's side of the captured OpenClaw conversations (test/fixtures/openclaw/): protocol
 * negotiation, who is held while pending, and the answers OpenClaw node hosts and the OpenClaw CLI
 * get from our method registry, so they stay what the real peer accepted without it installed.
 */
import { PairingStoreError } from '@tether/pairing';
import {
  ConnectParamsSchema,
  createValidator,
  DetailCode,
  DevicePairApproveParamsSchema,
  DevicePairListParamsSchema,
  ErrorCode,
  NodeEventParamsSchema,
  NodeInvokeParamsSchema,
  NodeInvokeResultParamsSchema,
  NodeListParamsSchema,
  type ConnectParams,
  type ErrorShape,
  type RequestFrame,
  type Role,
} from '@tether/protocol';
import type { TSchema } from '@sinclair/typebox';
import { CLI, HOST_CURRENT, HOST_LEGACY, HOST_RECONNECT, TETHER_TO_OPENCLAW, type Fixture } from '../../test/fixtures/openclaw/fixtures.js';
import { describe, expect, it, vi } from 'vitest';
import type { Connection, ConnectionSession } from './connection.js';
import type { GatewayContext } from './context.js';
import { holdsWhilePending, negotiateProtocol } from './handshake.js';
import { MethodRegistry } from './method-registry.js';
import { deviceMethods } from './methods/device.js';
import { gatewayMethods } from './methods/gateway.js';
import { nodePairMethods } from './methods/node-pair.js';
import { nodeMethods } from './methods/node.js';


const connectsOf = (f: Fixture) => f.frames.filter((e) => e.dir === 'client->gateway' && e.frame!.method === 'connect').map((e) => e.frame!.params as ConnectParams);
/** Requests after the connect, each with the answer the gateway gave it on the wire. */
function conversation(f: Fixture) {
  const answers = new Map(f.frames.filter((e) => e.dir === 'gateway->client' && e.frame!.type === 'res').map((e) => [e.frame!.id as string, e.frame!]));
  return f.frames
    .filter((e) => e.dir === 'client->gateway' && e.frame!.type === 'req' && e.frame!.method !== 'connect')
    .map((e) => ({ conn: e.conn, command: e.command, request: e.frame as RequestFrame, answer: answers.get(e.frame!.id as string) }));
}

const validConnect = createValidator(ConnectParamsSchema);

describe('captured connects: protocol and pending hold', () => {
  const cases: [string, number, boolean, Fixture][] = [
    ['openclaw@2026.9.6 node host', 4, true, HOST_CURRENT],
    ['openclaw@2026.9.6 node host, reconnecting paired', 4, true, HOST_RECONNECT],
    ['openclaw@2026.4.24 node host', 3, true, HOST_LEGACY],
    ['openclaw@2026.9.6 CLI', 4, false, CLI],
    ['tether node-agent', 4, false, TETHER_TO_OPENCLAW],
  ];

  it.each(cases)('%s: negotiates protocol %i; held while pending: %s', (_label, protocol, held, f) => {
    const connects = connectsOf(f);
    expect(connects.length).toBeGreaterThan(0);
    for (const params of connects) {
      expect(validConnect.check(params) ? 'ok' : validConnect.lastError()).toBe('ok');
      expect(negotiateProtocol(params.minProtocol, params.maxProtocol)).toBe(protocol);
      expect(holdsWhilePending(params)).toBe(held);
    }
  });

  it('the hello-ok we sent each OpenClaw node host names the protocol we negotiated', () => {
    for (const [f, protocol] of [[HOST_CURRENT, 4], [HOST_LEGACY, 3], [HOST_RECONNECT, 4]] as const) {
      const hellos = f.frames.filter((e) => e.dir === 'gateway->client' && e.frame!.payload?.type === 'hello-ok');
      expect(hellos.length).toBeGreaterThan(0);
      for (const hello of hellos) expect(hello.frame!.payload).toMatchObject({ protocol, auth: { role: 'node', scopes: [] } });
    }
  });
});

type Sent = { kind: 'result'; id: string; payload: unknown } | { kind: 'error'; id: string; error: ErrorShape };

function registry(): MethodRegistry {
  const methods = new MethodRegistry();
  methods.register([...gatewayMethods, ...nodeMethods, ...nodePairMethods, ...deviceMethods]);
  return methods;
}

/** Just enough gateway for the handlers these captures reach: an empty store and no connected nodes. */
function fakeGateway() {
  const complete = vi.fn(() => true);
  const gateway = {
    log: { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    config: { invokeTimeoutMs: 30_000 },
    identity: { publicKey: 'gateway-public-key' },
    startedAtMs: Date.now(),
    store: {
      listPending: () => [],
      listPaired: () => [],
      getPaired: () => undefined,
      getPending: () => undefined,
      pendingForDevice: () => undefined,
      approve: vi.fn(async (requestId: string) => {
        throw new PairingStoreError('UNKNOWN_REQUEST_ID', `unknown request id ${requestId}`);
      }),
    },
    registry: { complete, get: () => undefined, connected: () => [], lastDisconnectedAtMs: () => undefined, connectedCount: 0, inFlightCount: 0 },
    broadcaster: { broadcast: vi.fn(), all: () => [] },
    waitingRoom: { release: vi.fn() },
    connectionsOf: () => [],
  };
  return { gateway: gateway as unknown as GatewayContext, complete, raw: gateway };
}

async function dispatchAs(role: Role, scopes: readonly string[], deviceId: string | undefined, request: RequestFrame, fake = fakeGateway()) {
  const sent: Sent[] = [];
  const connection = {
    sendResult: (id: string, payload: unknown) => sent.push({ kind: 'result', id, payload }),
    sendError: (id: string, error: ErrorShape) => sent.push({ kind: 'error', id, error }),
    sendEvent: vi.fn(),
  } as unknown as Connection;
  const session: ConnectionSession = { role, scopes: new Set(scopes), deviceId, clientId: 'captured', clientMode: 'captured', protocol: 4, connectedAtMs: 0, ownerToken: false };
  await registry().dispatch({ gateway: fake.gateway, connection, session }, request);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.id).toBe(request.id);
  return { sent: sent[0]!, fake };
}

/** What went back on the wire, as a frame, for comparison with the captured answer. */
const asFrame = (sent: Sent) => (sent.kind === 'result' ? { type: 'res', id: sent.id, ok: true, payload: sent.payload } : { type: 'res', id: sent.id, ok: false, error: sent.error });

describe('OpenClaw node host requests after hello, through the method registry', () => {
  const hostCases = [
    ['openclaw@2026.9.6', HOST_CURRENT],
    ['openclaw@2026.9.6 reconnect', HOST_RECONNECT],
    ['openclaw@2026.4.24', HOST_LEGACY],
  ] as const;
  const served = new Set(registry().names());
  const rows = hostCases.flatMap(([label, f]) => {
    const nodeId = connectsOf(f)[0]!.device!.id;
    return conversation(f).map((c) => [`${label} ${c.request.method}${c.request.method === 'node.event' ? ` ${(c.request.params as { event: string }).event}` : ''}`, nodeId, c] as const);
  });

  it('the 2026.9.6 host publishes stats, runner inventory, skills and plugin tools; the 2026.4.24 host publishes nothing', () => {
    const first = (f: Fixture) => conversation(f).filter((c) => c.conn === 1 && c.request.method !== 'node.invoke.result' && (c.request.params as { event?: string })?.event !== 'exec.finished');
    expect(new Set(first(HOST_CURRENT).map((c) => c.request.method))).toEqual(
      new Set(['node.event', 'node.runnerInventory.update', 'node.skills.update', 'node.pluginTools.update']),
    );
    expect(first(HOST_LEGACY)).toEqual([]);
    // The publications we do not serve (today: all three updates).
    const unserved = [...new Set(rows.map(([, , c]) => c.request.method).filter((m) => !served.has(m)))].sort();
    expect(unserved).toEqual(['node.pluginTools.update', 'node.runnerInventory.update', 'node.skills.update'].filter((m) => !served.has(m)));
  });

  it.each(rows)('%s gets the answer the host accepted', async (_label, nodeId, { request, answer }) => {
    const { sent, fake } = await dispatchAs('node', [], nodeId, request);
    if (sent.kind === 'error') expect(sent.error.message).not.toMatch(/^unauthorized role/);
    if (!served.has(request.method)) {
      // Exactly the message OpenClaw's node host classifies as "legacy-unsupported" (and then stops asking).
      expect(sent).toMatchObject({ kind: 'error', error: { code: ErrorCode.INVALID_REQUEST, message: `unknown method: ${request.method}`, details: { code: DetailCode.UNKNOWN_METHOD } } });
      expect((sent as { error: ErrorShape }).error.retryable).not.toBe(true);
    } else if (request.method === 'node.event') {
      const event = (request.params as { event: string }).event;
      expect(sent).toMatchObject({ kind: 'result', payload: { ok: true, event, handled: false } });
    } else if (request.method === 'node.invoke.result') {
      expect(sent).toEqual({ kind: 'result', id: request.id, payload: { ok: true } });
      expect(fake.complete).toHaveBeenCalledWith(expect.anything(), request.params);
    }
    // And it is what the real host got (and was content with) during the capture.
    expect(answer).toBeDefined();
    expect(asFrame(sent)).toEqual(answer);
  });

  it('node.event and node.invoke.result params of the hosts pass their schemas', () => {
    const eventParams = createValidator(NodeEventParamsSchema);
    const resultParams = createValidator(NodeInvokeResultParamsSchema);
    let checked = 0;
    for (const [, , { request }] of rows) {
      const validator = request.method === 'node.event' ? eventParams : request.method === 'node.invoke.result' ? resultParams : undefined;
      if (!validator) continue;
      checked++;
      expect(validator.check(request.params) ? 'ok' : validator.lastError()).toBe('ok');
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('OpenClaw CLI requests, through the method registry with the scopes each connect asked for', () => {
  const calls = (() => {
    const scopesByConn = new Map(CLI.frames.filter((e) => e.frame?.method === 'connect').map((e) => [e.conn, (e.frame!.params as ConnectParams).scopes ?? []]));
    return conversation(CLI).map((c) => ({ ...c, scopes: scopesByConn.get(c.conn)! }));
  })();

  it('covers device.pair.list, device.pair.approve, node.pair.list, node.list and node.invoke', () => {
    expect(new Set(calls.map((c) => c.request.method))).toEqual(new Set(['device.pair.list', 'device.pair.approve', 'node.pair.list', 'node.list', 'node.invoke']));
  });

  const schemas: Record<string, TSchema> = {
    'device.pair.list': DevicePairListParamsSchema,
    'device.pair.approve': DevicePairApproveParamsSchema,
    'node.list': NodeListParamsSchema,
    'node.invoke': NodeInvokeParamsSchema,
  };

  it.each(calls.map((c) => [`${c.request.method} (scopes ${c.scopes.join(', ')})`, c] as const))('%s reaches its handler', async (_label, { request, scopes }) => {
    const schema = schemas[request.method];
    if (schema) {
      const validator = createValidator(schema);
      expect(validator.check(request.params) ? 'ok' : validator.lastError()).toBe('ok');
    }
    const { sent } = await dispatchAs('operator', scopes, undefined, request);
    // Past method lookup, role, params and scope: the handler ran against an empty gateway.
    switch (request.method) {
      case 'device.pair.list':
      case 'node.pair.list':
        expect(sent).toMatchObject({ kind: 'result', payload: { pending: [], paired: [] } });
        break;
      case 'node.list':
        expect(sent).toMatchObject({ kind: 'result', payload: { ts: expect.any(Number), nodes: [] } });
        break;
      case 'device.pair.approve':
        expect(sent).toMatchObject({ kind: 'error', error: { code: ErrorCode.INVALID_REQUEST, details: { code: DetailCode.UNKNOWN_REQUEST_ID } } });
        break;
      case 'node.invoke':
        expect(sent).toMatchObject({ kind: 'error', error: { code: ErrorCode.INVALID_REQUEST, details: { code: DetailCode.UNKNOWN_NODE } } });
        break;
      default:
        throw new Error(`unexpected method ${request.method}`);
    }
  });

  it('the captured answers to the CLI were successes', () => {
    for (const { request, answer } of calls) expect(answer, request.method).toMatchObject({ type: 'res', id: request.id, ok: true });
  });
});
