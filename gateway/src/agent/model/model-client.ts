/**
 * The ModelClient over the `openai` package (pinned 6.49.0: 7.x declares Node ≥22). The SDK builds
 * and sends the request and classifies HTTP errors; the body is read by our own SSE parser and
 * normaliser, never by the SDK's stream wrappers, which throw on a missing finish_reason or drop
 * calls without `index` (agent-and-models.md §3.3). The SDK's retries are off so that ours can be
 * abortable, honour Retry-After, and never resend once any of the body was read (the text already
 * went to `onText`).
 */
import { isRecord } from '@tether/protocol';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { detectProfile, knownModelProfile, resolveProfile, DEFAULT_PROFILE_TIMEOUT_MS } from './profile.js';
import { parseSse, type SseLimits } from './sse.js';
import { CallbackError, isContextLengthMessage, providerMessage, StreamNormaliser, type NormaliserLimits } from './stream-normaliser.js';
import { ModelError, type CompleteOptions, type ModelClient, type ModelProfile, type ModelRequest, type ModelTurn } from './types.js';

export interface ModelClientOptions {
  model: string;
  /** The OpenAI-compatible base URL, e.g. `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Absent: the SDK's own OPENAI_API_KEY, else a placeholder (local servers need no key). */
  apiKey?: string;
  /** Config's word on the profile; always wins over detection. */
  profile?: Partial<ModelProfile>;
  /** GET {baseUrl}/models once to detect the profile (default true). */
  detectProfile?: boolean;
  profileTimeoutMs?: number;
  /** Retries after the first attempt for 429, 408/409, 5xx and connection errors (default 3). */
  maxRetries?: number;
  /** First backoff delay (default 500 ms); doubles each retry, with jitter. */
  retryBaseDelayMs?: number;
  /** Cap on any one delay, Retry-After included (default 30 s). */
  retryMaxDelayMs?: number;
  /** Time to the response headers of one attempt (the SDK's timeout; default 10 min). */
  requestTimeoutMs?: number;
  limits?: SseLimits & NormaliserLimits;
  fetch?: typeof fetch;
  /** Injected for tests: the wait between attempts, and the jitter source. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 500;
const DEFAULT_RETRY_MAX_MS = 30_000;
/** How much of an HTTP error body is read; the rest of a hostile answer is discarded. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const BASE_URL_HINT = 'check agent.baseUrl / TETHER_AGENT_BASE_URL';
const API_KEY_HINT = 'set agent.apiKey or OPENAI_API_KEY';

export function createModelClient(options: ModelClientOptions): ModelClient {
  if (!options.model) throw new ModelError('MODEL_NOT_CONFIGURED', 'no model is configured; set agent.model');
  if (!options.baseUrl) throw new ModelError('MODEL_NOT_CONFIGURED', `no model server is configured; set agent.baseUrl or TETHER_AGENT_BASE_URL`);
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new ModelError('MODEL_NOT_CONFIGURED', `agent.baseUrl "${options.baseUrl}" is not a URL; ${BASE_URL_HINT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ModelError('MODEL_NOT_CONFIGURED', `agent.baseUrl must be http(s), got "${options.baseUrl}"`);

  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const model = options.model;
  const baseFetch = options.fetch ?? fetch;
  const realKey = options.apiKey ?? process.env.OPENAI_API_KEY;
  // The SDK refuses to start without a key; local servers (Ollama, llama.cpp) need none.
  const apiKey = realKey ?? 'no-key';
  const sdk = new OpenAI({
    apiKey,
    baseURL: baseUrl,
    maxRetries: 0,
    fetch: readableErrors(baseFetch),
    ...(options.requestTimeoutMs !== undefined ? { timeout: options.requestTimeoutMs } : {}),
  });
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const baseDelay = options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_MS;
  const maxDelay = options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_MS;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  let profile: Promise<ModelProfile> | undefined;

  function getProfile(): Promise<ModelProfile> {
    profile ??= (async () => {
      const detected =
        options.detectProfile === false
          ? {}
          : await detectProfile({ baseUrl, model, fetch: baseFetch, timeoutMs: options.profileTimeoutMs ?? DEFAULT_PROFILE_TIMEOUT_MS, ...(realKey ? { apiKey: realKey } : {}) });
      return resolveProfile(knownModelProfile(model), detected, options.profile);
    })();
    return profile;
  }

  async function complete(request: ModelRequest, completeOptions: CompleteOptions = {}): Promise<ModelTurn> {
    const { signal, onText } = completeOptions;
    if (signal?.aborted) throw aborted();
    const body = buildBody(model, request, await getProfile());
    for (let attempt = 0; ; attempt += 1) {
      if (signal?.aborted) throw aborted();
      let response: Response;
      try {
        response = await sdk.chat.completions.create(body, signal ? { signal } : {}).asResponse();
      } catch (error) {
        const mapped = mapRequestError(error, baseUrl, signal);
        if (!mapped.details.retryable || attempt >= maxRetries) throw mapped;
        const backoff = Math.min(maxDelay, baseDelay * 2 ** attempt * (0.5 + random() / 2));
        const asked = retryAfterMs(error);
        await sleep(asked !== undefined ? Math.min(maxDelay, asked) : backoff, signal).catch(() => {
          throw aborted();
        });
        continue;
      }
      return readTurn(response, { signal, onText, limits: options.limits });
    }
  }

  return { model, baseUrl, profile: getProfile, complete };
}

/**
 * The request body. `tools` only when there are any (some servers refuse `tools: []`), and
 * `parallel_tool_calls: false` only where the profile says it is honoured: where it is ignored
 * (Ollama) it is noise some servers refuse, and where it drops calls (vLLM) it loses them silently.
 */
export function buildBody(model: string, request: ModelRequest, profile: ModelProfile): ChatCompletionCreateParamsStreaming {
  const body: ChatCompletionCreateParamsStreaming = {
    model,
    messages: request.messages as ChatCompletionCreateParamsStreaming['messages'],
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function' as const,
      function: { name: tool.name, description: tool.description, parameters: tool.parameters as unknown as Record<string, unknown> },
    }));
    if (profile.parallelToolCalls === 'honoured') body.parallel_tool_calls = false;
  }
  return body;
}

async function readTurn(response: Response, options: { signal?: AbortSignal; onText?: (delta: string) => void; limits?: SseLimits & NormaliserLimits }): Promise<ModelTurn> {
  const normaliser = new StreamNormaliser({ ...(options.onText ? { onText: options.onText } : {}), ...(options.limits ? { limits: options.limits } : {}) });
  if (!response.body) throw new ModelError('MODEL_STREAM_ERROR', 'the model server answered with an empty body');
  try {
    if (!(response.headers.get('content-type') ?? '').includes('text/event-stream') && (response.headers.get('content-type') ?? '').includes('json')) {
      // A server that ignored `stream: true` and sent one chat.completion: read it the same way.
      normaliser.pushChunk(await readJson(response.body, options.limits?.maxEventChars ?? 2 * 1024 * 1024));
      return normaliser.result();
    }
    for await (const event of parseSse(response.body, options.limits)) {
      normaliser.pushEvent(event);
      if (normaliser.finished) break;
    }
  } catch (error) {
    if (error instanceof CallbackError) throw error.cause;
    if (options.signal?.aborted) throw aborted();
    if (error instanceof ModelError) throw error;
    throw new ModelError('MODEL_STREAM_ERROR', `the connection to the model server broke mid-stream: ${(error as Error).message}`, { retryable: false });
  }
  if (options.signal?.aborted) throw aborted();
  if (!normaliser.complete) throw new ModelError('MODEL_STREAM_ERROR', 'the model stream ended before the model finished (no finish_reason and no [DONE])');
  return normaliser.result();
}

function mapRequestError(error: unknown, baseUrl: string, signal: AbortSignal | undefined): ModelError {
  if (signal?.aborted || error instanceof APIUserAbortError) return aborted();
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError('MODEL_UNREACHABLE', `the model server at ${baseUrl} did not answer in time; ${BASE_URL_HINT}`, { retryable: true });
  }
  if (error instanceof APIConnectionError) {
    const cause = describeCause(error);
    return new ModelError('MODEL_UNREACHABLE', `cannot reach the model server at ${baseUrl}${cause ? ` (${cause})` : ''}; ${BASE_URL_HINT}`, { retryable: true });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const provider = providerMessage(error.error) ?? stripStatus(error.message, status);
    const details = { status, providerMessage: provider };
    if (status === 401 || status === 403) {
      return new ModelError('MODEL_AUTH', `the model server at ${baseUrl} refused the API key (${status}: ${provider}); ${API_KEY_HINT}`, details);
    }
    if (status === 429) return new ModelError('MODEL_RATE_LIMITED', `the model server is rate limiting (429: ${provider})`, { ...details, retryable: true });
    if (status >= 500 || status === 408 || status === 409) {
      return new ModelError('MODEL_SERVER_ERROR', `the model server failed (${status}: ${provider})`, { ...details, retryable: true });
    }
    if (isContextLengthMessage(provider) || (isRecord(error.error) && error.error.code === 'context_length_exceeded')) {
      return new ModelError('MODEL_CONTEXT_LENGTH', `the conversation is longer than the model's context (${status}: ${provider})`, details);
    }
    const hint = status === 404 ? `; check agent.model and ${BASE_URL_HINT}` : '';
    return new ModelError('MODEL_REQUEST_REFUSED', `the model server refused the request (${status}: ${provider})${hint}`, details);
  }
  return new ModelError('MODEL_UNREACHABLE', `the model request failed: ${(error as Error)?.message ?? String(error)}; ${BASE_URL_HINT}`);
}

/** Wraps fetch so an HTTP error body is capped, and vLLM's old `{object:'error', message}` reads like `{error:{message}}` to the SDK. */
function readableErrors(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (response.status < 400 || !response.body) return response;
    const text = await readCapped(response.body, MAX_ERROR_BODY_BYTES);
    let body = text;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (isRecord(parsed) && parsed.error === undefined && parsed.object === 'error' && typeof parsed.message === 'string') {
        body = JSON.stringify({ error: { message: parsed.message, type: parsed.type ?? null, param: parsed.param ?? null, code: parsed.code ?? null } });
      }
    } catch {
      // Not JSON: the SDK reports the text itself.
    }
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}

async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
      if (size >= max) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    // A body cut off mid-error still says what it said so far.
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8');
}

async function readJson(body: ReadableStream<Uint8Array>, max: number): Promise<unknown> {
  const text = await readCapped(body, max + 1);
  if (text.length > max) throw new ModelError('MODEL_STREAM_ERROR', `the model server's answer is over ${max} characters; refusing to read it`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ModelError('MODEL_STREAM_ERROR', 'the model server answered with JSON it could not parse');
  }
}

/** Retry-After in seconds or as an HTTP date, or OpenAI's `retry-after-ms`. */
function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof APIError) || !error.headers) return undefined;
  const ms = Number(error.headers.get('retry-after-ms'));
  if (error.headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const value = error.headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeCause(error: APIConnectionError): string {
  let cause: unknown = error.cause;
  const parts: string[] = [];
  while (cause instanceof Error && parts.length < 3) {
    const code = (cause as NodeJS.ErrnoException).code;
    parts.push(code ? `${code}` : cause.message);
    cause = cause.cause;
  }
  return parts.filter((p) => p && p !== 'fetch failed').join(': ') || error.message;
}

function stripStatus(message: string, status: number): string {
  return message.startsWith(`${status} `) ? message.slice(String(status).length + 1) : message;
}

function aborted(): ModelError {
  return new ModelError('MODEL_ABORTED', 'the model request was aborted');
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
