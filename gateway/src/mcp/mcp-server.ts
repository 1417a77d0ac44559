/**
 * The device tools as an MCP server: whatever a ToolBackend lists, an MCP client sees, with the same
 * names, descriptions and JSON Schema parameters, and every tools/call goes to backend.callTool.
 *
 * Built on the SDK's lower-level `Server` (ListTools/CallTool request handlers), not `McpServer`:
 * `McpServer.registerTool` wants zod shapes and one registration per tool, while our tools are plain
 * JSON Schema (an enum of the node labels connected right now) that change whenever a node comes or
 * goes. Converting them to zod would lose detail and validate twice (the backend already checks
 * arguments and names the candidates when they are wrong); with `Server` the schema goes out as is
 * and the list is simply asked for again on every tools/list.
 *
 * This module imports the SDK statically. Load it with a dynamic import (mcp-http.ts and `tether
 * mcp` do) so a gateway that never serves MCP never loads the SDK.
 */
import { safeLabel } from '@tether/protocol';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Implementation,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { ToolBackend, ToolCallOutcome } from '../agent/tool-backend.js';
import type { ModelTool } from '../agent/tools/catalogue.js';

export interface McpServerOptions {
  /** How long a burst of tool-list changes is gathered into one list_changed notification. */
  listChangedDebounceMs?: number;
  /** Largest tools/call `arguments`, as JSON text; larger ones get an isError result. */
  maxArgumentsBytes?: number;
  /** Sent to clients in the initialize result. */
  instructions?: string;
  log?: { warn(message: string): void; debug?(message: string): void };
}

export const DEFAULT_LIST_CHANGED_DEBOUNCE_MS = 100;
export const DEFAULT_MAX_ARGUMENTS_BYTES = 256 * 1024;
/** Longest tool name we accept (MCP suggests 1–128 characters). */
const MAX_TOOL_NAME_LENGTH = 128;

/** The server createMcpServer returns: the SDK's low-level Server. Its `close()` also unsubscribes from the backend. */
export type TetherMcpServer = Server;

export function createMcpServer(backend: ToolBackend, info: Implementation, options: McpServerOptions = {}): TetherMcpServer {
  const debounceMs = options.listChangedDebounceMs ?? DEFAULT_LIST_CHANGED_DEBOUNCE_MS;
  const maxArgumentsBytes = options.maxArgumentsBytes ?? DEFAULT_MAX_ARGUMENTS_BYTES;
  const server = new Server(info, { capabilities: { tools: { listChanged: true } }, ...(options.instructions && { instructions: options.instructions }) });

  // The last list we gave out; tools/call checks names against it (and asks again once on a miss).
  let known: Map<string, ModelTool> | undefined;
  const list = async (): Promise<Map<string, ModelTool>> => {
    const tools = await backend.listTools();
    known = new Map(tools.map((tool) => [tool.name, tool]));
    return known;
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = await list();
    return { tools: [...tools.values()].map(toMcpTool) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_TOOL_NAME_LENGTH) {
      throw new McpError(ErrorCode.InvalidParams, 'tools/call needs a tool name of 1 to 128 characters');
    }
    if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
      return errorResult(`${name} takes an object of arguments`);
    }
    let size: number;
    try {
      size = args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args));
    } catch {
      return errorResult(`the arguments for ${name} cannot be read as JSON`);
    }
    if (size > maxArgumentsBytes) return errorResult(`the arguments for ${name} are ${size} bytes; the limit is ${maxArgumentsBytes}`);

    const tools = known?.has(name) ? known : await list();
    if (!tools.has(name)) {
      const names = [...tools.keys()].join(', ') || 'none';
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${JSON.stringify(name.slice(0, 64))}; the tools right now are: ${names}`);
    }
    let outcome: ToolCallOutcome;
    try {
      outcome = await backend.callTool(name, args ?? {}, { signal: extra.signal });
    } catch (error) {
      options.log?.warn(`MCP tools/call ${safeLabel(name, 64)} failed: ${safeLabel((error as Error)?.message ?? String(error), 500)}`);
      return errorResult(`${name} failed: ${(error as Error)?.message ?? String(error)}`);
    }
    return toCallToolResult(outcome);
  });

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const unsubscribe = backend.onToolsChanged(() => {
    known = undefined;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      // Not connected yet or already gone: nothing to tell, and nothing to crash over.
      server.sendToolListChanged().catch((error: unknown) => options.log?.debug?.(`MCP list_changed not sent: ${(error as Error)?.message ?? String(error)}`));
    }, debounceMs);
    timer.unref?.();
  });
  const dispose = () => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    unsubscribe();
  };
  // onclose fires however the connection ends (close(), the transport closing, a DELETE).
  const previous = server.onclose;
  server.onclose = () => {
    dispose();
    previous?.();
  };
  return server;
}

export function toMcpTool(tool: ModelTool): Tool {
  return { name: tool.name, description: tool.description, inputSchema: tool.parameters as unknown as Tool['inputSchema'] };
}

/** A text block (with any pending approval spelled out), then each image; isError as the outcome says. */
export function toCallToolResult(outcome: ToolCallOutcome): CallToolResult {
  let text = outcome.text;
  if (outcome.pendingApprovalId && !text.includes(outcome.pendingApprovalId)) {
    text += `${text ? '\n\n' : ''}Waiting for the owner's approval (id ${outcome.pendingApprovalId}): \`tether approvals approve ${outcome.pendingApprovalId}\` lets it run.`;
  }
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  for (const image of outcome.images ?? []) content.push({ type: 'image', data: image.base64, mimeType: image.mimeType });
  return { content, isError: outcome.isError === true };
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
