/**
 * `@tether/gateway/mcp`: the device tools as an MCP server. The SDK loads with mcp-server.js, so
 * import this entry point dynamically (as `tether mcp` does); the gateway's router takes only
 * mcp-http.js, which loads the SDK on its first request.
 */
export { createMcpServer, toCallToolResult, toMcpTool, DEFAULT_LIST_CHANGED_DEBOUNCE_MS, DEFAULT_MAX_ARGUMENTS_BYTES } from './mcp-server.js';
export type { McpServerOptions, TetherMcpServer } from './mcp-server.js';
export type { ToolBackend, ToolCallOutcome, ToolImage } from '../agent/tool-backend.js';
export type { ModelTool } from '../agent/tools/catalogue.js';
