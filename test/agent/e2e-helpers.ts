/**
 * Shared pieces of the end-to-end tests of the gateway's client-facing surfaces (the OpenAI
 * endpoint, `tether mcp` and `/mcp`): the gateway's HTTP base, scripted nodes on it, a real small
 * image, and MCP clients (the SDK's own) over stdio and Streamable HTTP.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { answerInvokes, connectTestNode, sharedToken, type InvokeAnswer, type TestNode } from '../helpers/clients.js';
import { TETHER_BIN, type GatewayProcess } from '../helpers/processes.js';

/** `http://127.0.0.1:<port>`: the gateway's HTTP surfaces share its WebSocket port. */
export function httpBase(gateway: GatewayProcess): string {
  return `http://127.0.0.1:${gateway.port}`;
}

/** A real JPEG (64×48, red), as the bytes a camera node would send. */
export async function redJpeg(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#f00' } }).jpeg().toBuffer();
}

export interface ScriptedNode extends TestNode {
  /** The invokes the node received, in order. */
  invoked: { command: string; params: unknown }[];
  /** Stops answering and disconnects. */
  leave(): Promise<void>;
}

/** A node paired silently (shared token) that answers every invoke with `answer`. */
export async function scriptedNode(gateway: GatewayProcess, displayName: string, commands: string[], answer: (command: string, params: unknown) => InvokeAnswer): Promise<ScriptedNode> {
  const node = await connectTestNode(gateway.url, { displayName, commands, token: sharedToken(gateway.stateDir) });
  const invoked: { command: string; params: unknown }[] = [];
  const stop = answerInvokes(node, (request) => {
    const params = request.paramsJSON ? JSON.parse(request.paramsJSON) : undefined;
    invoked.push({ command: request.command, params });
    return answer(request.command, params);
  });
  let left = false;
  return Object.assign(node, {
    invoked,
    async leave() {
      if (left) return;
      left = true;
      stop();
      await node.client.close().catch(() => undefined);
    },
  });
}

export interface McpSession {
  client: Client;
  /** How many `notifications/tools/list_changed` arrived. */
  listChanged(): number;
  /** What the stdio server wrote to stderr (empty for HTTP). */
  stderr(): string;
  close(): Promise<void>;
}

function watch(client: Client): () => number {
  let count = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    count += 1;
  });
  return () => count;
}

/** `tether mcp --state-dir <dir>` as a child process, driven by the SDK's stdio client. */
export async function mcpOverStdio(gateway: GatewayProcess, extraArgs: string[] = []): Promise<McpSession> {
  // Only the SDK's default inherited variables: no TETHER_* from the test runner's environment.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [TETHER_BIN, 'mcp', '--state-dir', gateway.stateDir, ...extraArgs],
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'tether-e2e', version: '0.0.0' });
  const listChanged = watch(client);
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw new Error(`tether mcp did not initialize: ${(error as Error).message}\nstderr:\n${stderr}`);
  }
  return { client, listChanged, stderr: () => stderr, close: () => client.close() };
}

/** `/mcp` on the gateway port with the gateway token, driven by the SDK's Streamable HTTP client. */
export async function mcpOverHttp(gateway: GatewayProcess): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(`${httpBase(gateway)}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${sharedToken(gateway.stateDir)}` } },
  });
  const client = new Client({ name: 'tether-e2e', version: '0.0.0' });
  const listChanged = watch(client);
  await client.connect(transport);
  return {
    client,
    listChanged,
    stderr: () => '',
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** The tool names an MCP client sees right now, sorted. */
export async function toolNames(client: Client): Promise<string[]> {
  const { tools } = await client.listTools();
  return tools.map((tool) => tool.name).sort();
}
