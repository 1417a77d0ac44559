/**
 * The one shape the rest of the agent sees of a model, whatever server is behind it. The adapter
 * (`model-client.ts`) turns OpenAI, OpenRouter, Ollama, llama.cpp and vLLM streams into this, and
 * nothing outside `model/` ever reads a raw chunk.
 */
import type { ModelTool } from '../tools/catalogue.js';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** A tool call as the model asked for it, in the Chat Completions wire shape (what goes back in history). */
export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ModelRequest {
  messages: ChatMessage[];
  /** Offered tools; an empty list sends no `tools` field at all (some servers refuse `tools: []`). */
  tools: readonly ModelTool[];
}

/** One tool call after the whole stream was read: arguments parsed, or the reason they could not be. */
export interface ParsedToolCall {
  /** The server's id, or a synthesised `call_<n>` when it sent none. */
  id: string;
  name: string;
  argumentsText: string;
  /** The parsed arguments (an object), absent when `parseError` is set. */
  arguments?: unknown;
  parseError?: string;
}

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'unknown';

export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A whole model turn. Tool calls present means "call tools", whatever `finishReason` says. */
export interface ModelTurn {
  text: string;
  toolCalls: ParsedToolCall[];
  finishReason: FinishReason;
  usage?: ModelUsage;
}

/** What an endpoint can do; detected where the server says, set in config otherwise, conservative by default. */
export interface ModelProfile {
  /** Image parts in user messages are understood. */
  vision: boolean;
  /** Tool-call arguments arrive in pieces as they are generated (false: whole at the end, or not streamed). */
  toolStreaming: boolean;
  /** What the server does with `parallel_tool_calls: false`. */
  parallelToolCalls: 'honoured' | 'ignored' | 'dropped';
  /** Context window in tokens; history beyond it is compacted. */
  contextWindow: number;
}

export interface CompleteOptions {
  signal?: AbortSignal;
  /** Each piece of assistant text as it streams. */
  onText?: (delta: string) => void;
}

export interface ModelClient {
  readonly model: string;
  readonly baseUrl: string;
  profile(): Promise<ModelProfile>;
  /** One streamed completion, normalised; 429/5xx retried with backoff; throws ModelError. */
  complete(request: ModelRequest, options?: CompleteOptions): Promise<ModelTurn>;
}

export type ModelErrorCode =
  | 'MODEL_NOT_CONFIGURED'
  | 'MODEL_UNREACHABLE'
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_SERVER_ERROR'
  | 'MODEL_REQUEST_REFUSED'
  | 'MODEL_AUTH'
  | 'MODEL_STREAM_ERROR'
  | 'MODEL_CONTEXT_LENGTH'
  | 'MODEL_ABORTED';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly details: { status?: number; retryable?: boolean; providerMessage?: string } = {},
  ) {
    super(message);
    this.name = 'ModelError';
  }
}
