/**
 * `tether mcp` end to end below the process: the SDK's Client on one side of a pair of pipes,
 * serveMcpStdio on the other, and the WS-backed ToolBackend on a real GatewayClient whose injected
 * transport plays the gateway (tools.catalog, tools.invoke, presence and tools.changed events).
 */
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { GatewayClient, type GatewayClientOptions } from '@tether/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayToolBackend, parseCatalog, parseOutcome } from '../mcp-backend.js';
import { serveMcpStdio } from './mcp.js';

type Transport = ReturnType<NonNullable<GatewayClientOptions['transport']>>;

const PNG = 'iVBORw0KGgo=';
const SNAP = { name: 'camera_snap', description: 'Take a photo.', parameters: { type: 'object', properties: { node: { type: 'string', enum: ['phone'] } }, additionalProperties: false } };
const LIST = { name: 'list_nodes', description: 'List nodes.', parameters: { type: 'object', properties: {}, additionalProperties: false } };

interface FakeGateway {
  tools: unknown[];
  requests: { method: string; params: unknown }[];
  invokeAnswer: (params: Record<string, unknown>) => { ok: true; payload: unknown } | { ok: false; error: Record<string, unknown> };
  emit(event: string, payload: unknown): void;
}

function fakeGateway(): { gateway: FakeGateway; factory: () => Transport } {
  let onMessage: (text: string) => void = () => undefined;
  let onClose: (code: number, reason: string) => void = () => undefined;
  const reply = (frame: unknown) => setImmediate(() => onMessage(JSON.stringify(frame)));
  const gateway: FakeGateway = {
    tools: [SNAP, LIST],
    requests: [],
    invokeAnswer: () => ({ ok: true, payload: { node: 'phone', text: 'photo from phone', images: [{ mimeType: 'image/png', base64: PNG }], isError: false, durationMs: 4 } }),
    emit: (event, payload) => reply({ type: 'event', event, payload }),
  };
  const factory = (): Transport => ({
    send: (text) => {
      const frame = JSON.parse(text) as { id: string; method: string; params: unknown };
      if (frame.method === 'connect') return reply({ type: 'res', id: frame.id, ok: true, payload: { type: 'hello-ok', protocol: 3, policy: { tickIntervalMs: 60_000 } } });
      gateway.requests.push({ method: frame.method, params: frame.params });
      if (frame.method === 'tools.catalog') return reply({ type: 'res', id: frame.id, ok: true, payload: { tools: gateway.tools } });
      if (frame.method === 'tools.invoke') return reply({ type: 'res', id: frame.id, ...gateway.invokeAnswer(frame.params as Record<string, unknown>) });
      reply({ type: 'res', id: frame.id, ok: false, error: { code: 'INVALID_REQUEST', message: `unknown method ${frame.method}` } });
    },
    close: () => setImmediate(() => onClose(1000, 'bye')),
    onOpen: () => undefined,
    onMessage: (listener) => {
      onMessage = listener;
      reply({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n-1', ts: Date.now() } });
    },
    onClose: (listener) => (onClose = listener),
    onError: () => undefined,
  });
  return { gateway, factory };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp() {
  const { gateway, factory } = fakeGateway();
  const backend = createGatewayToolBackend(
    {
      request: (method, params, options) => client.request(method, params, options),
    },
    { log: { warn: () => undefined } },
  );
  const client: GatewayClient = new GatewayClient({
    url: 'ws://gateway.invalid',
    token: 't'.repeat(32),
    role: 'operator',
    client: { id: 'cli', mode: 'cli', version: 'test', platform: 'linux' },
    transport: factory,
    onEvent: (event, payload) => backend.handleEvent(event, payload),
  });
  await client.connect();
  cleanups.push(() => client.close());

  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const stdout: string[] = [];
  fromServer.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  const logs: string[] = [];
  const serving = serveMcpStdio(backend, { stdin: toServer, stdout: fromServer, log: (m) => logs.push(m), listChangedDebounceMs: 20 });
  const mcp = new Client({ name: 'stdio-test', version: '1.0.0' });
  await mcp.connect(new StdioServerTransport(fromServer, toServer)); // the same line-delimited framing, pointed the other way
  cleanups.push(async () => {
    await mcp.close();
    toServer.end();
    await serving;
  });
  return { gateway, mcp, stdout, serving, toServer, logs };
}

describe('tether mcp', () => {
  it('lists the gateway tools.catalog as MCP tools', async () => {
    const { mcp, gateway } = await setUp();
    const { tools } = await mcp.listTools();
    expect(tools).toEqual([
      { name: 'camera_snap', description: SNAP.description, inputSchema: SNAP.parameters },
      { name: 'list_nodes', description: LIST.description, inputSchema: LIST.parameters },
    ]);
    expect(gateway.requests[0]).toEqual({ method: 'tools.catalog', params: {} });
  });

  it('calls through tools.invoke with an idempotency key and returns text and image blocks', async () => {
    const { mcp, gateway } = await setUp();
    const result = await mcp.callTool({ name: 'camera_snap', arguments: { node: 'phone' } });
    expect(result.content).toEqual([
      { type: 'text', text: 'photo from phone' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
    ]);
    const invoke = gateway.requests.find((request) => request.method === 'tools.invoke');
    expect(invoke?.params).toEqual({ name: 'camera_snap', args: { node: 'phone' }, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('sends list_changed on presence and tools.changed events', async () => {
    const { mcp, gateway } = await setUp();
    let notified = 0;
    mcp.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notified += 1;
    });
    await mcp.listTools();
    gateway.tools = [LIST];
    gateway.emit('presence', { nodes: [] });
    await expect.poll(() => notified, { timeout: 2_000 }).toBe(1);
    expect((await mcp.listTools()).tools.map((tool) => tool.name)).toEqual(['list_nodes']);
    gateway.emit('tools.changed', {});
    await expect.poll(() => notified, { timeout: 2_000 }).toBe(2);
    gateway.emit('tick', {});
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(notified).toBe(2);
  });

  it('turns a gateway refusal and a malformed outcome into isError results', async () => {
    const { mcp, gateway } = await setUp();
    gateway.invokeAnswer = () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'policy says no', details: { code: 'POLICY_DENIED' } } });
    const refused = await mcp.callTool({ name: 'list_nodes', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('policy says no');
    gateway.invokeAnswer = () => ({ ok: true, payload: { text: 42, images: 'nope' } });
    const malformed = await mcp.callTool({ name: 'list_nodes', arguments: {} });
    expect(malformed.isError).toBe(true);
    expect(JSON.stringify(malformed.content)).toContain('not a tool result');
  });

  it('leaves malformed catalog entries out', async () => {
    const { mcp, gateway } = await setUp();
    gateway.tools = [LIST, { name: 'bad name with spaces', description: 'x', parameters: { type: 'object' } }, { name: 'no_params', description: 'x' }, 'junk', LIST];
    expect((await mcp.listTools()).tools.map((tool) => tool.name)).toEqual(['list_nodes']);
  });

  it('writes nothing but JSON-RPC lines to stdout, and ends when stdin ends', async () => {
    const { mcp, stdout, toServer, serving } = await setUp();
    await mcp.listTools();
    await mcp.callTool({ name: 'camera_snap', arguments: {} });
    const lines = stdout.join('').split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    toServer.end();
    await expect(serving).resolves.toBeUndefined();
  });
});

describe('mcp-backend parsing', () => {
  it('refuses a catalog answer without a tools list', () => {
    expect(() => parseCatalog({})).toThrow(/tools list/);
    expect(parseCatalog({ tools: [SNAP, SNAP] })).toEqual({ tools: [SNAP], dropped: 1 });
  });

  it('accepts only outcomes with text, isError and image/* images', () => {
    expect(parseOutcome({ text: 'ok', isError: false })).toEqual({ text: 'ok', images: [], isError: false, durationMs: 0 });
    expect(parseOutcome({ text: 'ok', isError: false, images: [{ mimeType: 'text/html', base64: 'x' }] })).toBeUndefined();
    expect(parseOutcome({ text: 'ok', isError: 'no' })).toBeUndefined();
    expect(parseOutcome({ text: 'wait', isError: false, pendingApprovalId: 'a-1', node: 'phone' })).toMatchObject({ pendingApprovalId: 'a-1', node: 'phone' });
  });

  it('does not call the gateway for non-object arguments, and answers a cancelled call', async () => {
    const calls: string[] = [];
    const backend = createGatewayToolBackend({ request: async (method) => (calls.push(method), new Promise(() => undefined)) });
    expect((await backend.callTool('list_nodes', 'nope')).isError).toBe(true);
    expect(calls).toEqual([]);
    const controller = new AbortController();
    const pending = backend.callTool('list_nodes', {}, { signal: controller.signal });
    controller.abort();
    expect(await pending).toMatchObject({ isError: true, text: expect.stringContaining('cancelled') });
  });
});
