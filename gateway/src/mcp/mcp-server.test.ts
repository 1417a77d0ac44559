import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CAMERA_SNAP, FakeBackend, LIST_NODES, PIXEL_PNG } from '../../../test/mcp/fake-backend.js';
import { createMcpServer } from './mcp-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function connect(backend: FakeBackend, options: Parameters<typeof createMcpServer>[2] = {}) {
  const server = createMcpServer(backend, { name: 'tether-test', version: '0.0.1' }, { listChangedDebounceMs: 20, ...options });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return { client, server };
}

describe('createMcpServer', () => {
  it('advertises tools with listChanged and lists the backend tools with their JSON Schema as is', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend);
    expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
    const { tools } = await client.listTools();
    expect(tools).toEqual([
      { name: 'camera_snap', description: CAMERA_SNAP.description, inputSchema: CAMERA_SNAP.parameters },
      { name: 'list_nodes', description: LIST_NODES.description, inputSchema: LIST_NODES.parameters },
    ]);
  });

  it('calls the backend and answers text then image blocks', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend);
    const result = await client.callTool({ name: 'camera_snap', arguments: { node: 'phone', facing: 'back' } });
    expect(backend.calls).toEqual([{ name: 'camera_snap', args: { node: 'phone', facing: 'back' } }]);
    expect(result.isError).toBe(false);
    expect(result.content).toEqual([
      { type: 'text', text: 'photo from phone' },
      { type: 'image', data: PIXEL_PNG, mimeType: 'image/png' },
    ]);
  });

  it('passes isError through and spells out a pending approval', async () => {
    const backend = new FakeBackend();
    backend.outcome = () => ({ text: 'system.run waits for approval', images: [], isError: true, pendingApprovalId: 'appr-123', durationMs: 1 });
    const { client } = await connect(backend);
    const result = await client.callTool({ name: 'list_nodes', arguments: {} });
    expect(result.isError).toBe(true);
    const text = (result.content as { type: string; text: string }[])[0]!.text;
    expect(text).toContain('system.run waits for approval');
    expect(text).toContain('tether approvals approve appr-123');
  });

  it('calls with no arguments pass an empty object', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend);
    await client.callTool({ name: 'list_nodes' });
    expect(backend.calls).toEqual([{ name: 'list_nodes', args: {} }]);
  });

  it('sends one notifications/tools/list_changed for a burst of backend changes', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend);
    let notified = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notified += 1;
    });
    backend.setTools([LIST_NODES]);
    backend.setTools([CAMERA_SNAP]);
    backend.setTools([LIST_NODES]);
    await expect.poll(() => notified, { timeout: 2_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(notified).toBe(1);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['list_nodes']);
  });

  it('refuses an unknown tool with an MCP error, without calling the backend', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend);
    await expect(client.callTool({ name: 'rm_rf', arguments: {} })).rejects.toThrow(/Unknown tool: "rm_rf"/);
    expect(backend.calls).toEqual([]);
  });

  it('sees a tool that appeared since the last list', async () => {
    const backend = new FakeBackend();
    backend.tools = [LIST_NODES];
    const { client } = await connect(backend);
    await client.listTools();
    backend.tools = [LIST_NODES, CAMERA_SNAP]; // no change event: the server asks again on a miss
    const result = await client.callTool({ name: 'camera_snap', arguments: {} });
    expect(result.isError).toBe(false);
  });

  it('answers oversized arguments with an isError result, without calling the backend', async () => {
    const backend = new FakeBackend();
    const { client } = await connect(backend, { maxArgumentsBytes: 1_000 });
    const result = await client.callTool({ name: 'camera_snap', arguments: { node: 'phone', junk: 'x'.repeat(5_000) } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/limit is 1000/);
    expect(backend.calls).toEqual([]);
  });

  it('answers non-object arguments with an error, never a crash', async () => {
    const backend = new FakeBackend();
    const { server } = await connect(backend);
    // Below the Client, which would refuse to send these: raw JSON-RPC on a second connection.
    const [raw, serverSide] = InMemoryTransport.createLinkedPair();
    const second = createMcpServer(backend, { name: 't', version: '0' });
    await second.connect(serverSide);
    closers.push(() => second.close());
    const answers: unknown[] = [];
    raw.onmessage = (message) => answers.push(message);
    await raw.start();
    await raw.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (const [id, args] of [[1, 'a string'], [2, [1, 2]], [3, 42], [4, null]] as const) {
      await raw.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'camera_snap', arguments: args } });
    }
    await raw.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'x'.repeat(10_000) } });
    await expect.poll(() => answers.length, { timeout: 2_000 }).toBe(6);
    for (const answer of answers.slice(1) as { error?: unknown; result?: { isError?: boolean } }[]) {
      expect(answer.error !== undefined || answer.result?.isError === true).toBe(true);
    }
    expect(backend.calls).toEqual([]);
    expect(server).toBeDefined();
  });

  it('turns a throwing backend into an isError result', async () => {
    const backend = new FakeBackend();
    backend.outcome = () => {
      throw new Error('node went away');
    };
    const { client } = await connect(backend);
    const result = await client.callTool({ name: 'list_nodes', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('node went away');
  });

  it('unsubscribes from the backend when the connection closes', async () => {
    const backend = new FakeBackend();
    const { client, server } = await connect(backend);
    expect(backend.listenerCount).toBe(1);
    await client.close();
    await server.close();
    expect(backend.listenerCount).toBe(0);
    backend.setTools([]); // nothing left to notify, nothing thrown
  });
});
