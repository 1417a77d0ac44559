/** `/mcp` over real HTTP on 127.0.0.1: the SDK's own StreamableHTTPClientTransport against handleMcpHttp. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer } from '../../gateway/src/http/respond.js';
import { closeMcpHttp, handleMcpHttp, type McpHttpOptions } from '../../gateway/src/mcp/mcp-http.js';
import { safeEqual } from '../../gateway/src/secrets.js';
import { CAMERA_SNAP, FakeBackend, LIST_NODES, PIXEL_PNG } from './fake-backend.js';

const TOKEN = 'test-token-0123456789';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function start(overrides: Partial<McpHttpOptions> = {}) {
  const backend = new FakeBackend();
  const options: McpHttpOptions = {
    backend,
    authorize: (request) => {
      const presented = bearer(request);
      return presented !== undefined && safeEqual(presented, TOKEN);
    },
    originAllowed: (origin) => origin === 'http://allowed.example',
    log: quiet,
    listChangedDebounceMs: 20,
    ...overrides,
  };
  const http: Server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://x').pathname === '/mcp') void handleMcpHttp(options, request, response);
    else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  cleanups.push(async () => {
    await closeMcpHttp(options);
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return { backend, options, url };
}

async function connectClient(url: URL, token = TOKEN) {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});
async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('/mcp over Streamable HTTP', () => {
  it('lists tools, calls one and gets its image block', async () => {
    const { url, backend } = await start();
    const { client, transport } = await connectClient(url);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['camera_snap', 'list_nodes']);
    const result = await client.callTool({ name: 'camera_snap', arguments: { node: 'phone' } });
    expect(result.content).toEqual([
      { type: 'text', text: 'photo from phone' },
      { type: 'image', data: PIXEL_PNG, mimeType: 'image/png' },
    ]);
    expect(backend.calls).toEqual([{ name: 'camera_snap', args: { node: 'phone' } }]);
  });

  it('delivers list_changed on the GET stream when the backend tool list changes', async () => {
    const { url, backend } = await start();
    const { client } = await connectClient(url);
    let notified = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notified += 1;
    });
    // The client opens its GET stream after initialized; give it a moment, then change the tools.
    await expect
      .poll(async () => {
        backend.setTools(backend.tools.length === 2 ? [LIST_NODES] : [CAMERA_SNAP, LIST_NODES]);
        await new Promise((resolve) => setTimeout(resolve, 60));
        return notified;
      }, { timeout: 5_000, interval: 50 })
      .toBeGreaterThan(0);
    backend.setTools([LIST_NODES]);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['list_nodes']);
  });

  it('answers an unknown tool with an MCP error', async () => {
    const { url, backend } = await start();
    const { client } = await connectClient(url);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
    expect(backend.calls).toEqual([]);
  });

  it('refuses requests without the gateway token (401 JSON)', async () => {
    const { url } = await start();
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${TOKEN}`]) {
      const response = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, ...(authorization && { authorization }) }, body: initialize });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('Bearer') } });
    }
    await expect(connectClient(url, 'wrong')).rejects.toThrow();
  });

  it('refuses a browser Origin that is not allowed, even with the token (DNS rebinding)', async () => {
    const { url } = await start();
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${url.port}`]) {
      const response = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${TOKEN}`, origin }, body: initialize });
      expect(response.status).toBe(403);
      expect((await errorOf(response))).toBe('ORIGIN_NOT_ALLOWED');
    }
    const allowed = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${TOKEN}`, origin: 'http://allowed.example' }, body: initialize });
    expect(allowed.status).toBe(200);
    await allowed.body?.cancel();
  });

  it('refuses every Origin when no originAllowed is given', async () => {
    const { url } = await start({ originAllowed: undefined });
    const response = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${TOKEN}`, origin: 'http://allowed.example' }, body: initialize });
    expect(response.status).toBe(403);
  });

  it('refuses an oversized body with 413, declared or streamed', async () => {
    const { url, backend } = await start({ maxBodyBytes: 64 * 1024 });
    const { transport } = await connectClient(url);
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'camera_snap', arguments: { junk: 'x'.repeat(200_000) } } });
    const headers = { ...mcpHeaders, authorization: `Bearer ${TOKEN}`, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION };
    const declared = await fetch(url, { method: 'POST', headers, body: huge });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared))).toBe('PAYLOAD_TOO_LARGE');
    // Chunked: no content-length, so the limit has to hold while reading.
    const chunks = [huge.slice(0, 50_000), huge.slice(50_000)];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await fetch(url, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(backend.calls).toEqual([]);
  });

  it('answers a body that is not JSON with 400, and a request without a session with 400', async () => {
    const { url } = await start();
    const auth = { ...mcpHeaders, authorization: `Bearer ${TOKEN}` };
    const garbage = await fetch(url, { method: 'POST', headers: auth, body: '{"jsonrpc":' });
    expect(garbage.status).toBe(400);
    expect((await errorOf(garbage))).toBe('BAD_REQUEST');
    const list = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(list.status).toBe(400);
    expect((await errorOf(list))).toBe('SESSION_REQUIRED');
    const unknown = await fetch(url, { method: 'GET', headers: { ...auth, 'mcp-session-id': 'not-a-session' } });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown))).toBe('SESSION_NOT_FOUND');
    const put = await fetch(url, { method: 'PUT', headers: auth, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET, DELETE');
  });

  it('caps open sessions, and DELETE ends one', async () => {
    const { url, options, backend } = await start({ maxSessions: 2 });
    const first = await connectClient(url);
    await connectClient(url);
    await expect(connectClient(url)).rejects.toThrow();
    const refused = await fetch(url, { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${TOKEN}` }, body: initialize });
    expect(refused.status).toBe(503);
    expect((await errorOf(refused))).toBe('TOO_MANY_SESSIONS');
    await first.transport.terminateSession();
    await connectClient(url);
    expect(backend.listenerCount).toBe(2);
    await closeMcpHttp(options);
    expect(backend.listenerCount).toBe(0);
  });

  it('expires idle sessions (a session with an open GET stream is not idle)', async () => {
    const { url, backend } = await start({ sessionIdleMs: 50, maxSessions: 2 });
    await connectClient(url); // the SDK client holds its GET stream open: this one stays
    const auth = { ...mcpHeaders, authorization: `Bearer ${TOKEN}` };
    const openRaw = async () => {
      const response = await fetch(url, { method: 'POST', headers: auth, body: initialize });
      await response.body?.cancel();
      return response;
    };
    const idle = await openRaw();
    expect(idle.status).toBe(200);
    const sessionId = idle.headers.get('mcp-session-id')!;
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The next initialize sweeps: the idle one goes, the new one fits under the cap of 2.
    expect((await openRaw()).status).toBe(200);
    const old = await fetch(url, { method: 'POST', headers: { ...auth, 'mcp-session-id': sessionId }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }) });
    expect(old.status).toBe(404);
    expect(backend.listenerCount).toBe(2);
  });

  it('loads no SDK code when the module is imported (only dynamic imports and types)', () => {
    const source = readFileSync(new URL('../../gateway/src/mcp/mcp-http.ts', import.meta.url), 'utf8');
    const staticImports = [...source.matchAll(/^import\s+(?!type\b)[^;]*from\s+'([^']+)'/gm)].map((match) => match[1]);
    expect(staticImports.filter((specifier) => specifier!.includes('modelcontextprotocol') || specifier!.includes('mcp-server'))).toEqual([]);
  });
});
