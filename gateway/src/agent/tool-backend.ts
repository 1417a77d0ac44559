/**
 * The device tools as something to list and call, whoever asks: the embedded agent's loop, the MCP
 * server on `/mcp` (in the gateway) and `tether mcp` (in the CLI, over the gateway's `tools.*`
 * methods). Every call goes through the gateway's node.invoke path and policy.
 */
import type { ModelTool } from './tools/catalogue.js';

export interface ToolImage {
  mimeType: string;
  base64: string;
  /** Where the full-size file was saved in the gateway's media store. */
  savedTo?: string;
}

export interface ToolCallOutcome {
  /** The node that ran it (label as the model saw it), when one did. */
  node?: string;
  nodeId?: string;
  command?: string;
  /** The text the model reads (framed as data from the node). */
  text: string;
  /** Images to show a vision model or an MCP client (already downscaled). */
  images: ToolImage[];
  isError: boolean;
  /** Files the call's media were saved to (kept, referenced from the transcript). */
  media?: { path: string; bytes: number; mimeType: string; width?: number; height?: number }[];
  /** Set when the call waits for an owner's exec approval. */
  pendingApprovalId?: string;
  durationMs: number;
}

export interface ToolCallOptions {
  signal?: AbortSignal;
  /** Replays the first outcome for a retried call (the agent uses `<runId>:<toolCallId>`). */
  idempotencyKey?: string;
  /** The session the call belongs to, passed on to the node. */
  sessionKey?: string;
  /** A call reported as pending approval finished later: its result, for the transcript. */
  onLateResult?: (outcome: ToolCallOutcome) => void;
}

export interface ToolBackend {
  listTools(): Promise<ModelTool[]>;
  callTool(name: string, args: unknown, options?: ToolCallOptions): Promise<ToolCallOutcome>;
  /** Called whenever the tool list may have changed (a node came or went); returns the unsubscribe. */
  onToolsChanged(listener: () => void): () => void;
}
