/**
 * The device tools over MCP end to end, with the MCP SDK's own client: `tether mcp` (a child process
 * speaking stdio, reaching a real gateway process through its state dir) and `/mcp` (Streamable HTTP
 * on the gateway port). Tools follow the scripted nodes that offer them, a call reaches the node and
 * names it, a camera node's real JPEG comes back as MCP image content, and a node leaving is a
 * `notifications/tools/list_changed` after which its tools are gone.
 */
import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestNode, sharedToken } from '../helpers/clients.js';
import { cleanup, eventually, runTether, spawnTether, startGatewayProcess, stop, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { startAgentGateway } from './agent-helpers.js';
import { httpBase, mcpOverHttp, mcpOverStdio, redJpeg, scriptedNode, toolNames, type McpSession, type ScriptedNode } from './e2e-helpers.js';

afterAll(cleanup);

const LOCATION = { lat: 52.52, lon: 13.405, accuracyMeters: 8, timestamp: '2025-01-01T00:00:00.000Z', isPrecise: true, source: 'gps' };

const transports: { name: string; open: (gateway: GatewayProcess) => Promise<McpSession> }[] = [
  { name: 'tether mcp (stdio)', open: (gateway) => mcpOverStdio(gateway) },
  { name: '/mcp (Streamable HTTP)', open: (gateway) => mcpOverHttp(gateway) },
];

describe.each(transports)('$name', ({ open }) => {
  let gateway: GatewayProcess;
  let mcp: McpSession;
  let jpeg: Buffer;
  let node: ScriptedNode | undefined;

  beforeAll(async () => {
    jpeg = await redJpeg();
    // No model configured: MCP serves the device tools without the embedded agent.
    gateway = await startAgentGateway(undefined);
    mcp = await open(gateway);
  }, 30_000);
  afterAll(async () => {
    await node?.leave();
    await mcp?.close().catch(() => undefined);
  });

  it('offers only list_nodes while no node is connected', async () => {
    expect(mcp.client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(await toolNames(mcp.client)).toEqual(['list_nodes']);
  });

  it("lists a node's device tools once it connects, after telling the client the list changed", async () => {
    const before = mcp.listChanged();
    node = await scriptedNode(gateway, 'kitchen', ['camera.snap', 'location.get'], (command) =>
      command === 'camera.snap' ? { payload: { format: 'jpg', base64: jpeg.toString('base64'), width: 64, height: 48 } } : { payload: LOCATION },
    );
    await eventually(async () => (mcp.listChanged() > before ? true : undefined), 15_000);
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['camera_snap', 'describe_node', 'list_nodes', 'location_get']);
    const camera = tools.find((t) => t.name === 'camera_snap')!;
    expect(camera.inputSchema.type).toBe('object');
    expect((camera.inputSchema.properties as any).node.enum).toEqual(['kitchen']);
  }, 30_000);

  it('calls a device tool on the node and gets a text result naming it', async () => {
    const result: any = await mcp.client.callTool({ name: 'location_get', arguments: { node: 'kitchen' } });
    expect(result.isError).toBe(false);
    expect(result.content).toHaveLength(1);
    expect(result.content[0].type).toBe('text');
    expect(result.content[0].text).toContain('location.get on node "kitchen"');
    expect(result.content[0].text).toContain('52.52');
    expect(node!.invoked.at(-1)!.command).toBe('location.get');
  }, 30_000);

  it("returns a camera node's JPEG as MCP image content", async () => {
    const result: any = await mcp.client.callTool({ name: 'camera_snap', arguments: { node: 'kitchen' } });
    expect(result.isError).toBe(false);
    expect(result.content[0].type).toBe('text');
    expect(result.content[0].text).toContain('camera.snap on node "kitchen"');
    const images = result.content.filter((c: any) => c.type === 'image');
    expect(images).toHaveLength(1);
    expect(images[0].mimeType).toMatch(/^image\/(jpeg|png|webp)$/);
    const meta = await sharp(Buffer.from(images[0].data, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([64, 48]);
    expect(node!.invoked.at(-1)!.command).toBe('camera.snap');
  }, 30_000);

  it("reports a node's error as an isError result naming the node, not a protocol error", async () => {
    const grumpy = await scriptedNode(gateway, 'grumpy', ['system.notify'], () => ({ error: { code: 'UNAVAILABLE', message: 'notifications are off' } }));
    try {
      await eventually(async () => ((await toolNames(mcp.client)).includes('notify') ? true : undefined), 15_000);
      const result: any = await mcp.client.callTool({ name: 'notify', arguments: { node: 'grumpy', title: 'hi', body: 'there' } });
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toContain('node "grumpy"');
      expect(result.content[0].text).toContain('notifications are off');
      expect(grumpy.invoked.map((i) => i.command)).toEqual(['system.notify']);
    } finally {
      await grumpy.leave();
    }
    await eventually(async () => (!(await toolNames(mcp.client)).includes('notify') ? true : undefined), 15_000);
  }, 30_000);

  it('survives a call the client cancels while the node is still working: the next calls are answered', async () => {
    // A node that receives invokes but never answers them.
    const silent = await connectTestNode(gateway.url, { displayName: 'silent', commands: ['system.notify'], token: sharedToken(gateway.stateDir) });
    try {
      await eventually(async () => ((await toolNames(mcp.client)).includes('notify') ? true : undefined), 15_000);
      const controller = new AbortController();
      const call = mcp.client.callTool({ name: 'notify', arguments: { node: 'silent', title: 'wait', body: 'forever' } }, undefined, { signal: controller.signal, timeout: 60_000 });
      const request = await silent.waitForEvent('node.invoke.request', 15_000);
      expect(request.command).toBe('system.notify');
      controller.abort();
      await expect(call).rejects.toThrow();
      const listing: any = await mcp.client.callTool({ name: 'list_nodes', arguments: {} });
      expect(listing.isError).toBe(false);
      expect(listing.content[0].text).toContain('silent');
    } finally {
      await silent.client.close();
    }
    await eventually(async () => (!(await toolNames(mcp.client)).includes('notify') ? true : undefined), 15_000);
  }, 40_000);

  it('sends list_changed when the node leaves; its tools are then gone and calling one is refused', async () => {
    const before = mcp.listChanged();
    await node!.leave();
    await eventually(async () => (mcp.listChanged() > before ? true : undefined), 15_000);
    // A notification from an earlier test's node may land first (they are debounced, not numbered): the list settles.
    await eventually(async () => ((await toolNames(mcp.client)).join() === 'list_nodes' ? true : undefined), 15_000);
    const error = await mcp.client.callTool({ name: 'camera_snap', arguments: { node: 'kitchen' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toContain('Unknown tool');
  }, 30_000);
});

describe('tether mcp across a gateway restart', () => {
  let gateway: GatewayProcess;
  let mcp: McpSession;
  let node: ScriptedNode | undefined;

  beforeAll(async () => {
    gateway = await startAgentGateway(undefined);
    mcp = await mcpOverStdio(gateway);
  }, 30_000);
  afterAll(async () => {
    await node?.leave();
    await mcp?.close().catch(() => undefined);
  });

  it('keeps the MCP session, reconnects, says the list changed, and serves the new gateway\'s nodes', async () => {
    expect(await toolNames(mcp.client)).toEqual(['list_nodes']);
    await stop(gateway.child, 'SIGTERM');
    // While the gateway is down a call is a tool error, not a dead MCP session.
    const down: any = await eventually(async () => {
      const result: any = await mcp.client.callTool({ name: 'list_nodes', arguments: {} });
      return result.isError ? result : undefined;
    }, 15_000);
    expect(down.content[0].type).toBe('text');
    const before = mcp.listChanged();
    gateway = await startGatewayProcess({ stateDir: gateway.stateDir, port: gateway.port });
    await eventually(async () => (mcp.listChanged() > before ? true : undefined), 30_000, 200);
    // stderr arrives on its own pipe: the line may land just after the list_changed notification.
    await eventually(async () => (mcp.stderr().includes('reconnected to the gateway') ? true : undefined));
    node = await scriptedNode(gateway, 'attic', ['location.get'], () => ({ payload: LOCATION }));
    await eventually(async () => ((await toolNames(mcp.client)).includes('location_get') ? true : undefined), 15_000);
    const result: any = await mcp.client.callTool({ name: 'location_get', arguments: { node: 'attic' } });
    expect(result.isError).toBe(false);
    expect(result.content[0].text).toContain('node "attic"');
  }, 90_000);
});

describe('MCP sessions and process lifecycles', () => {
  it('tells every open /mcp session and a tether mcp process alike when a node comes', async () => {
    const gateway = await startAgentGateway(undefined);
    const sessions = [await mcpOverHttp(gateway), await mcpOverHttp(gateway), await mcpOverStdio(gateway)];
    let node: ScriptedNode | undefined;
    try {
      node = await scriptedNode(gateway, 'porch', ['location.get'], () => ({ payload: LOCATION }));
      for (const session of sessions) {
        await eventually(async () => (session.listChanged() > 0 ? true : undefined), 15_000);
        expect(await toolNames(session.client)).toContain('location_get');
      }
    } finally {
      await node?.leave();
      for (const session of sessions) await session.close().catch(() => undefined);
    }
  }, 60_000);

  it('tether mcp exits 0 by itself when its stdin ends', async () => {
    const gateway = await startAgentGateway(undefined);
    // spawnTether gives the child /dev/null as stdin: it ends at once.
    const mcp = spawnTether(['mcp', '--state-dir', gateway.stateDir]);
    expect(await mcp.exited).toBe(0);
    expect(mcp.output()).toContain('serving the tools of');
  }, 30_000);

  it('a gateway with an open /mcp stream (and a tether mcp) still shuts down on SIGTERM', async () => {
    const gateway = await startAgentGateway(undefined);
    const http = await mcpOverHttp(gateway);
    const stdio = await mcpOverStdio(gateway);
    // The GET stream is open once the session is initialized; a tools/list proves the session lives.
    expect(await toolNames(http.client)).toEqual(['list_nodes']);
    expect(await toolNames(stdio.client)).toEqual(['list_nodes']);
    const code = await stop(gateway.child, 'SIGTERM');
    expect(code).toBe(0);
    await http.close().catch(() => undefined);
    await stdio.close().catch(() => undefined);
  }, 30_000);
});

describe('MCP with a large photo and a bad token', () => {
  let gateway: GatewayProcess;
  let yards = 0;
  beforeAll(async () => {
    gateway = await startAgentGateway(undefined);
  }, 30_000);

  it.each(transports)('downscales a 3000×2000 camera photo to the 1200 px default before $name gives it out', async ({ open }) => {
    // A photo with detail (noise), so it is large in bytes as well as in pixels.
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#08f', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 90 }).toBuffer();
    const label = `yard-${++yards}`;
    const cam = await scriptedNode(gateway, label, ['camera.snap'], () => ({ payload: { format: 'jpg', base64: big.toString('base64'), width: 3000, height: 2000 } }));
    const mcp = await open(gateway);
    try {
      await eventually(async () => ((await toolNames(mcp.client)).includes('camera_snap') ? true : undefined), 15_000);
      const result: any = await mcp.client.callTool({ name: 'camera_snap', arguments: { node: label } });
      expect(result.isError).toBe(false);
      const image = result.content.find((c: any) => c.type === 'image');
      expect(image).toBeDefined();
      const meta = await sharp(Buffer.from(image.data, 'base64')).metadata();
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(1200);
      expect(meta.width! / meta.height!).toBeCloseTo(1.5, 1);
      // The text names where the full photo was saved.
      expect(result.content[0].text).toMatch(/saved to .*\.jpg/i);
    } finally {
      await cam.leave();
      await mcp.close();
    }
  }, 60_000);

  it('tether mcp with a wrong token exits non-zero, explaining on stderr, with stdout left empty', async () => {
    const result = await runTether(['mcp', '--state-dir', gateway.stateDir, '--token', 'wrong-token-0000'], {}, 30_000);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/token|auth/i);
  }, 40_000);
});

describe('/mcp refusals on a real gateway', () => {
  let gateway: GatewayProcess;
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  };
  const post = (headers: Record<string, string>) =>
    fetch(`${httpBase(gateway)}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(initialize),
    });

  beforeAll(async () => {
    gateway = await startAgentGateway(undefined);
  }, 30_000);

  it('answers 401 without a token, and with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Record<string, string>[]) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await response.json()) as any).error.code).toBe('UNAUTHORIZED');
    }
  });

  it('answers 403 to a foreign browser Origin, even with the token', async () => {
    const response = await post({ authorization: `Bearer ${sharedToken(gateway.stateDir)}`, origin: 'http://evil.example' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as any).error.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('initializes with the token and no Origin (the control for the two refusals)', async () => {
    const response = await post({ authorization: `Bearer ${sharedToken(gateway.stateDir)}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toMatch(/\S/);
    await response.body?.cancel();
  });
});

describe('tether mcp without a gateway', () => {
  it('exits non-zero, saying on stderr that no gateway answers, and writes nothing to stdout', async () => {
    const result = await runTether(['mcp', '--state-dir', tempDir('tether-mcp-none-'), '--url', 'ws://127.0.0.1:9', '--timeout', '3000'], {}, 30_000);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no gateway/i);
  }, 40_000);
});
