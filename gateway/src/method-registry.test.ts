import { Type } from '@sinclair/typebox';
import { GatewayError, type ErrorShape, type RequestFrame, type Role } from '@tether/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { Connection, ConnectionSession } from './connection.js';
import type { GatewayContext } from './context.js';
import { defineMethod, MethodRegistry, type MethodContext } from './method-registry.js';

type Sent = { kind: 'result'; id: string; payload: unknown } | { kind: 'error'; id: string; error: ErrorShape };

function fakeContext(role: Role, scopes: string[] = []) {
  const sent: Sent[] = [];
  const connection = {
    sendResult: (id: string, payload: unknown) => sent.push({ kind: 'result', id, payload }),
    sendError: (id: string, error: ErrorShape) => sent.push({ kind: 'error', id, error }),
  } as unknown as Connection;
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const gateway = { log } as unknown as GatewayContext;
  const session: ConnectionSession = { role, scopes: new Set(scopes), clientId: 'test', clientMode: 'test', protocol: 4, connectedAtMs: 0, ownerToken: false };
  const ctx: MethodContext = { gateway, connection, session };
  return { ctx, sent, log };
}

const EchoParams = Type.Object({ text: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const InvokeParams = Type.Object({ command: Type.String() }, { additionalProperties: false });

function registry(): MethodRegistry {
  const methods = new MethodRegistry();
  methods.register([
    defineMethod({ method: 'echo', roles: ['operator', 'node'], scope: 'operator.read', params: EchoParams, handler: (_ctx, params) => ({ echoed: params.text }) }),
    defineMethod({ method: 'write.thing', roles: ['operator'], scope: 'operator.write', params: Type.Object({}), handler: () => ({ wrote: true }) }),
    defineMethod({
      method: 'invoke',
      roles: ['operator'],
      scope: (params) => (params.command.startsWith('admin.') ? 'operator.admin' : 'operator.write'),
      params: InvokeParams,
      handler: async (_ctx, params) => ({ ran: params.command }),
    }),
    defineMethod({ method: 'node.only', roles: ['node'], params: Type.Object({}), handler: () => ({ node: true }) }),
    defineMethod({
      method: 'fails.known',
      roles: ['operator'],
      params: Type.Object({}),
      handler: () => {
        throw new GatewayError({ code: 'UNAVAILABLE', message: 'node not connected', details: { code: 'NOT_CONNECTED' }, retryable: true, retryAfterMs: 250 });
      },
    }),
    defineMethod({
      method: 'fails.async',
      roles: ['operator'],
      params: Type.Object({}),
      handler: async () => {
        throw new GatewayError({ code: 'INVALID_REQUEST', message: 'nodeId mismatch' });
      },
    }),
    defineMethod({
      method: 'fails.bug',
      roles: ['operator'],
      params: Type.Object({}),
      handler: () => {
        throw new TypeError('cannot read properties of undefined');
      },
    }),
  ]);
  return methods;
}

const req = (method: string, params?: unknown, id = 'r1'): RequestFrame =>
  params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params };

async function dispatch(role: Role, scopes: string[], frame: RequestFrame) {
  const fake = fakeContext(role, scopes);
  await registry().dispatch(fake.ctx, frame);
  expect(fake.sent).toHaveLength(1);
  return { sent: fake.sent[0]!, log: fake.log };
}

describe('MethodRegistry.dispatch: success', () => {
  it.each([
    ['operator with the scope', 'operator' as Role, ['operator.read'], req('echo', { text: 'hi' }), { echoed: 'hi' }],
    ['node (scopes do not apply to nodes)', 'node' as Role, [], req('echo', { text: 'hi' }), { echoed: 'hi' }],
    ['operator.admin satisfies operator.write', 'operator' as Role, ['operator.admin'], req('write.thing', {}), { wrote: true }],
    ['operator.admin satisfies operator.read', 'operator' as Role, ['operator.admin'], req('echo', { text: 'x' }), { echoed: 'x' }],
    ['dynamic scope, ordinary command', 'operator' as Role, ['operator.write'], req('invoke', { command: 'system.which' }), { ran: 'system.which' }],
    ['dynamic scope, admin command with admin', 'operator' as Role, ['operator.admin'], req('invoke', { command: 'admin.x' }), { ran: 'admin.x' }],
    ['absent params default to {}', 'operator' as Role, ['operator.write'], req('write.thing'), { wrote: true }],
    ['node-only method from a node', 'node' as Role, [], req('node.only', {}), { node: true }],
  ])('%s', async (_name, role, scopes, frame, payload) => {
    const { sent } = await dispatch(role, scopes, frame);
    expect(sent).toEqual({ kind: 'result', id: frame.id, payload });
  });
});

describe('MethodRegistry.dispatch: refusals', () => {
  it.each([
    [
      'unknown method',
      'operator' as Role,
      ['operator.admin'],
      req('x'),
      { code: 'INVALID_REQUEST', message: 'unknown method: x', details: { code: 'UNKNOWN_METHOD' } },
    ],
    [
      'node calling an operator-only method',
      'node' as Role,
      [],
      req('write.thing', {}),
      { code: 'INVALID_REQUEST', message: 'unauthorized role: node', details: { code: 'UNAUTHORIZED_ROLE' } },
    ],
    [
      'operator calling a node-only method',
      'operator' as Role,
      ['operator.admin'],
      req('node.only', {}),
      { code: 'INVALID_REQUEST', message: 'unauthorized role: operator', details: { code: 'UNAUTHORIZED_ROLE' } },
    ],
    [
      'operator lacking operator.write',
      'operator' as Role,
      ['operator.read'],
      req('write.thing', {}),
      {
        code: 'FORBIDDEN',
        message: 'missing scope: operator.write',
        details: { code: 'MISSING_SCOPE', missingScope: 'operator.write', requiredScopes: ['operator.write'] },
      },
    ],
    [
      'operator with no scopes',
      'operator' as Role,
      [],
      req('echo', { text: 'hi' }),
      {
        code: 'FORBIDDEN',
        message: 'missing scope: operator.read',
        details: { code: 'MISSING_SCOPE', missingScope: 'operator.read', requiredScopes: ['operator.read'] },
      },
    ],
    [
      'dynamic scope: admin command with only operator.write',
      'operator' as Role,
      ['operator.write'],
      req('invoke', { command: 'admin.x' }),
      {
        code: 'FORBIDDEN',
        message: 'missing scope: operator.admin',
        details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin', requiredScopes: ['operator.admin'] },
      },
    ],
  ])('%s', async (_name, role, scopes, frame, error) => {
    const { sent } = await dispatch(role, scopes, frame);
    expect(sent).toEqual({ kind: 'error', id: frame.id, error });
  });

  it.each([
    ['missing property', { }, 'invalid echo params: value: missing required property "text"'],
    ['extra property', { text: 'a', loud: true }, 'invalid echo params: value: unexpected property "loud"'],
    ['wrong type', { text: 5 }, 'invalid echo params: text: must be string'],
    ['empty string', { text: '' }, 'invalid echo params: text: must NOT have fewer than 1 characters'],
    ['params not an object', 'hi', 'invalid echo params: value: must be object'],
  ])('invalid params: %s', async (_name, params, message) => {
    const { sent } = await dispatch('operator', ['operator.read'], req('echo', params));
    expect(sent).toEqual({ kind: 'error', id: 'r1', error: { code: 'INVALID_REQUEST', message, details: { code: 'INVALID_PARAMS' } } });
  });
});

describe('MethodRegistry.dispatch: handler errors', () => {
  it('passes a thrown GatewayError through with its whole shape', async () => {
    const { sent, log } = await dispatch('operator', [], req('fails.known', {}, 'k1'));
    expect(sent).toEqual({
      kind: 'error',
      id: 'k1',
      error: { code: 'UNAVAILABLE', message: 'node not connected', details: { code: 'NOT_CONNECTED' }, retryable: true, retryAfterMs: 250 },
    });
    expect(log.error).not.toHaveBeenCalled();
  });

  it('passes a GatewayError rejected by an async handler through', async () => {
    const { sent } = await dispatch('operator', [], req('fails.async', {}));
    expect(sent).toEqual({ kind: 'error', id: 'r1', error: { code: 'INVALID_REQUEST', message: 'nodeId mismatch' } });
  });

  it('turns a plain Error into UNAVAILABLE/INTERNAL and logs the stack', async () => {
    const { sent, log } = await dispatch('operator', [], req('fails.bug', {}, 'b1'));
    expect(sent).toEqual({
      kind: 'error',
      id: 'b1',
      error: { code: 'UNAVAILABLE', message: 'internal error in fails.bug; see the gateway log', details: { code: 'INTERNAL' } },
    });
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.error.mock.calls[0]![0]).toContain('fails.bug failed: TypeError: cannot read properties of undefined');
  });
});

describe('MethodRegistry.register and names', () => {
  it('lists method names sorted', () => {
    expect(registry().names()).toEqual(['echo', 'fails.async', 'fails.bug', 'fails.known', 'invoke', 'node.only', 'write.thing']);
  });

  it('refuses to register a method twice', () => {
    const methods = new MethodRegistry();
    const definition = defineMethod({ method: 'dup', roles: ['operator'], params: Type.Object({}), handler: () => null });
    methods.register([definition]);
    expect(() => methods.register([definition])).toThrow('method dup registered twice');
  });
});
