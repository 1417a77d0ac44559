/**
 * A scripted OpenAI-compatible model for tests: a real HTTP server on 127.0.0.1 that answers
 * `POST /v1/chat/completions` with the replies a test queued, in order, shaped like the server
 * family it imitates (OpenAI, Ollama, llama.cpp, vLLM, or one that never sends finish_reason).
 * It exists because no real model runs on the project's machines (agent-and-models.md §5), and
 * because the quirks in §4 are what break agents: each one can be replayed here byte for byte.
 *
 *   const model = await startScriptedModel({ family: 'ollama' });
 *   model.script(reply.toolCalls([{ name: 'camera_snap', arguments: { node: 'pi' } }]), reply.text('done'));
 *   ... point the client at model.url ...
 *   expect(model.requests[0]!.body.tools).toHaveLength(1);
 *   await model.close();
 *
 * Families (streamed replies):
 *   openai    role chunk, content chunks, each tool call as index+id+name then argument fragments,
 *             finish_reason, a usage chunk with `choices: []` when asked, [DONE]
 *   ollama    each tool call whole in one chunk, no `index` (or index 0 for all: `ollamaIndex`),
 *             optionally no `id`; finish_reason "stop" even with tool calls
 *   llamacpp  openai's shape; string HTTP error bodies as `{error:{code,message,type}}`
 *   vllm      argument fragments of 3 characters, each event written in two pieces split at an odd
 *             byte offset; string HTTP error bodies in the old `{object:'error', message, type, code}`
 *   no-finish openai's shape with no finish_reason ever, then [DONE]
 *
 * An empty script answers 500 naming the request, so a test that forgot a reply fails loudly
 * instead of hanging or passing on a default.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ScriptedFamily = 'openai' | 'ollama' | 'llamacpp' | 'vllm' | 'no-finish';

export interface ScriptedModelOptions {
  family?: ScriptedFamily;
  /** What GET /v1/models lists; `null` makes it answer 404 (servers without the endpoint). */
  models?: ({ id: string } & Record<string, unknown>)[] | null;
  /** Ollama family only: `'missing'` (default) sends tool calls without `index`, `'zero'` gives every call index 0. */
  ollamaIndex?: 'missing' | 'zero';
  /** Ollama family only: send no `id` on tool calls (some models via Ollama, continuedev/continue#13225). */
  ollamaOmitIds?: boolean;
  /** GET /v1/models never answers (for the profile detection timeout). */
  modelsHang?: boolean;
  /** Serve Ollama's native `POST /api/show` with these capabilities (e.g. `['completion', 'vision']`). */
  ollamaCapabilities?: string[];
}

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Options every streamed reply takes. */
export interface ReplyOptions {
  /** The usage chunk's numbers (sent only when the request asked for `stream_options.include_usage`); `null` sends none. */
  usage?: ScriptedUsage | null;
  /** Milliseconds between chunks (tests of abort and of text arriving piece by piece). */
  delayMs?: number;
  /** Overrides the family's finish_reason; `null` sends none at all. */
  finishReason?: string | null;
}

export interface ScriptedToolCall {
  name: string;
  /** An object is sent as JSON; a string is sent as is (malformed JSON on purpose, or empty). */
  arguments?: Record<string, unknown> | string;
  /** The call's id; `null` sends none. Default `call_scripted_<n>`. */
  id?: string | null;
}

export type Reply =
  | { kind: 'text'; text: string | string[]; options: ReplyOptions }
  | { kind: 'toolCalls'; calls: ScriptedToolCall[]; text?: string; options: ReplyOptions }
  | { kind: 'httpError'; status: number; body: unknown; retryAfter?: string | number }
  | { kind: 'sseError'; error: Record<string, unknown>; textBefore?: string; options: ReplyOptions }
  | { kind: 'legacyErrorField'; error: Record<string, unknown>; textBefore?: string; options: ReplyOptions }
  | { kind: 'hang'; textBefore?: string }
  | { kind: 'dropConnection'; textBefore?: string }
  | { kind: 'raw'; chunks: (string | Uint8Array)[]; status: number; headers: Record<string, string>; delayMs: number };

export const reply = {
  /** Assistant text; a string is streamed a word at a time, an array as exactly those chunks. */
  text: (text: string | string[], options: ReplyOptions = {}): Reply => ({ kind: 'text', text, options }),
  /** Tool calls (optionally after some text), streamed in the family's shape. */
  toolCalls: (calls: ScriptedToolCall[], options: ReplyOptions & { text?: string } = {}): Reply => ({ kind: 'toolCalls', calls, text: options.text, options }),
  /** An HTTP error. A string body is wrapped in the family's error shape; anything else is sent as JSON exactly. */
  httpError: (status: number, body: unknown, options: { retryAfter?: string | number } = {}): Reply => ({ kind: 'httpError', status, body, retryAfter: options.retryAfter }),
  /** HTTP 200, then `data: {"error":{…}}` mid-stream (current llama.cpp, vLLM, OpenAI). */
  sseError: (error: { message: string } & Record<string, unknown>, options: ReplyOptions & { textBefore?: string } = {}): Reply => ({ kind: 'sseError', error, textBefore: options.textBefore, options }),
  /** HTTP 200, then the old llama.cpp `error: {…}` SSE field that openai-node drops silently. */
  legacyErrorField: (error: { message: string } & Record<string, unknown>, options: ReplyOptions & { textBefore?: string } = {}): Reply => ({
    kind: 'legacyErrorField',
    error,
    textBefore: options.textBefore,
    options,
  }),
  /** Sends headers (and optional text), then nothing ever again: for abort tests. */
  hang: (options: { textBefore?: string } = {}): Reply => ({ kind: 'hang', textBefore: options.textBefore }),
  /** Destroys the socket: before any response, or after some streamed text. */
  dropConnection: (options: { textBefore?: string } = {}): Reply => ({ kind: 'dropConnection', textBefore: options.textBefore }),
  /** Exactly these bytes as the body, each a separate write: for hostile or hand-written SSE. */
  raw: (chunks: (string | Uint8Array)[], options: { status?: number; headers?: Record<string, string>; delayMs?: number } = {}): Reply => ({
    kind: 'raw',
    chunks,
    status: options.status ?? 200,
    headers: options.headers ?? { 'content-type': 'text/event-stream' },
    delayMs: options.delayMs ?? 0,
  }),
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: any;
  rawBody: string;
}

export interface ScriptedModel {
  /** Base URL ending in `/v1`, as a client's `baseUrl`. */
  readonly url: string;
  readonly family: ScriptedFamily;
  /** Every POST /v1/chat/completions, in order, including refused ones. */
  readonly requests: RecordedRequest[];
  /** Every request of any kind (GET /v1/models too), in order. */
  readonly log: RecordedRequest[];
  script(...replies: Reply[]): void;
  /** Replies not yet consumed. */
  pending(): number;
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const family = options.family ?? 'openai';
  const models = options.models === undefined ? [{ id: 'scripted-model' }] : options.models;
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  const log: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let served = 0;
  let callCounter = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, openaiError(`scripted model crashed: ${(error as Error).message}`, 'server_error'));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: any;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body, rawBody };
    log.push(record);

    if (req.method === 'GET' && path === '/v1/models') {
      if (options.modelsHang) return; // never answered; close() destroys the socket
      if (models === null) return sendJson(res, 404, openaiError('Not found', 'invalid_request_error'));
      return sendJson(res, 200, { object: 'list', data: models.map((m) => ({ object: 'model', created: 0, owned_by: 'scripted', ...m })) });
    }
    if (req.method === 'POST' && path === '/api/show' && options.ollamaCapabilities) {
      return sendJson(res, 200, { capabilities: options.ollamaCapabilities, model_info: {} });
    }
    if (path !== '/v1/chat/completions') return sendJson(res, 404, openaiError(`no route ${req.method} ${path}`, 'invalid_request_error'));
    if (req.method !== 'POST') return sendJson(res, 405, openaiError(`method ${req.method} not allowed`, 'invalid_request_error'));
    requests.push(record);
    const n = requests.length;

    // What a real server refuses before it looks at the script: the test did not get that far.
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendJson(res, 400, openaiError('We could not parse the JSON body of your request.', 'invalid_request_error'));
    }
    if (typeof body.model !== 'string' || body.model.length === 0) return sendJson(res, 400, openaiError("you must provide a model parameter", 'invalid_request_error', 'model'));
    if (!Array.isArray(body.messages)) return sendJson(res, 400, openaiError("'messages' is a required property", 'invalid_request_error', 'messages'));

    const next = queue.shift();
    if (!next) {
      return sendJson(res, 500, openaiError(`scripted model: the test gave no reply for chat request #${n} (${served} scripted replies were consumed)`, 'server_error'));
    }
    served += 1;
    await answer(next, body, res);
  }

  async function answer(r: Reply, body: any, res: ServerResponse): Promise<void> {
    const stream = body.stream === true;
    const includeUsage = stream && body.stream_options?.include_usage === true;
    const model = String(body.model);

    if (r.kind === 'httpError') {
      const headers: Record<string, string> = {};
      if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
      return sendJson(res, r.status, typeof r.body === 'string' ? familyError(family, r.status, r.body) : r.body, headers);
    }
    if (r.kind === 'dropConnection' && !r.textBefore) {
      res.socket?.destroy();
      return;
    }
    if (r.kind === 'raw') {
      res.writeHead(r.status, r.headers);
      for (const chunk of r.chunks) {
        if (r.delayMs > 0) await sleep(r.delayMs);
        if (res.destroyed) return;
        res.write(chunk);
      }
      res.end();
      return;
    }
    if (!stream) return answerWhole(r, model, res);

    const chunker = new Chunker(model, family);
    const events: string[] = [];
    const data = (value: unknown) => events.push(`data: ${JSON.stringify(value)}\n\n`);
    const delayMs = 'options' in r ? (r.options.delayMs ?? 0) : 0;

    data(chunker.chunk({ role: 'assistant', content: '' }));
    const textBefore = r.kind === 'text' ? r.text : r.kind === 'toolCalls' ? r.text : r.textBefore;
    for (const piece of textPieces(textBefore)) data(chunker.chunk({ content: piece }));

    if (r.kind === 'hang' || r.kind === 'dropConnection') {
      res.writeHead(200, sseHeaders());
      for (const event of events) res.write(event);
      if (r.kind === 'dropConnection') setImmediate(() => res.socket?.destroy());
      return; // hang: never ended; close() destroys the socket
    }
    if (r.kind === 'sseError') {
      data({ error: r.error });
    } else if (r.kind === 'legacyErrorField') {
      events.push(`error: ${JSON.stringify(r.error)}\n\n`);
    } else {
      if (r.kind === 'toolCalls') for (const delta of toolCallDeltas(r.calls)) data(chunker.chunk({ tool_calls: delta }));
      const finish = r.options.finishReason !== undefined ? r.options.finishReason : family === 'no-finish' ? null : r.kind === 'toolCalls' ? (family === 'ollama' ? 'stop' : 'tool_calls') : 'stop';
      if (finish !== null) data(chunker.chunk({}, finish));
      if (includeUsage && r.options.usage !== null) data({ ...chunker.base(), choices: [], usage: r.options.usage ?? defaultUsage(r) });
    }
    events.push('data: [DONE]\n\n');

    res.writeHead(200, sseHeaders());
    for (const event of events) {
      if (delayMs > 0) await sleep(delayMs);
      if (res.destroyed) return;
      if (family === 'vllm') {
        // Network chunks split at an odd byte offset, so a parser that assumes one event per read fails.
        const bytes = Buffer.from(event);
        const cut = Math.max(1, Math.floor(bytes.length / 3) | 1);
        res.write(bytes.subarray(0, cut));
        res.write(bytes.subarray(cut));
      } else res.write(event);
    }
    res.end();
  }

  function answerWhole(r: Reply, model: string, res: ServerResponse): void {
    if (r.kind === 'sseError' || r.kind === 'legacyErrorField') return sendJson(res, 500, familyError(family, 500, String(r.error.message)));
    if (r.kind === 'hang') return; // never answered
    if (r.kind === 'dropConnection') return void res.socket?.destroy();
    if (r.kind !== 'text' && r.kind !== 'toolCalls') return;
    const text = r.kind === 'text' ? (Array.isArray(r.text) ? r.text.join('') : r.text) : (r.text ?? null);
    const toolCalls = r.kind === 'toolCalls' ? r.calls.map((call) => ({ id: call.id === null ? undefined : (call.id ?? nextId()), type: 'function', function: { name: call.name, arguments: argumentsText(call) } })) : undefined;
    const finish = r.options.finishReason !== undefined ? r.options.finishReason : r.kind === 'toolCalls' ? 'tool_calls' : 'stop';
    sendJson(res, 200, {
      id: `chatcmpl-scripted-${served}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
      ...(r.options.usage === null ? {} : { usage: r.options.usage ?? defaultUsage(r) }),
    });
  }

  function nextId(): string {
    callCounter += 1;
    return `call_scripted_${callCounter}`;
  }

  /** Tool-call deltas, one array per chunk, in the family's shape. */
  function toolCallDeltas(calls: ScriptedToolCall[]): Record<string, unknown>[][] {
    const out: Record<string, unknown>[][] = [];
    calls.forEach((call, i) => {
      const id = call.id === null ? undefined : (call.id ?? nextId());
      const args = argumentsText(call);
      if (family === 'ollama') {
        // Ollama: each call whole in one chunk; no index (before v0.4.7), or index 0 for every call (#15457).
        const whole: Record<string, unknown> = { type: 'function', function: { name: call.name, arguments: args } };
        if (!options.ollamaOmitIds && id !== undefined) whole.id = id;
        if (options.ollamaIndex === 'zero') whole.index = 0;
        out.push([whole]);
        return;
      }
      const head: Record<string, unknown> = { index: i, type: 'function', function: { name: call.name, arguments: '' } };
      if (id !== undefined) head.id = id;
      out.push([head]);
      for (const fragment of argumentFragments(args, family === 'vllm' ? 3 : 8)) out.push([{ index: i, function: { arguments: fragment } }]);
    });
    return out;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    family,
    requests,
    log,
    script: (...replies) => void queue.push(...replies),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Builds chunks with the fields every real server repeats on each one. */
class Chunker {
  private readonly id = `chatcmpl-scripted-${Math.random().toString(36).slice(2, 10)}`;
  private readonly created = Math.floor(Date.now() / 1000);
  constructor(
    private readonly model: string,
    private readonly family: ScriptedFamily,
  ) {}
  base(): Record<string, unknown> {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, ...(this.family === 'openai' ? { system_fingerprint: 'fp_scripted' } : {}) };
  }
  chunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
    return { ...this.base(), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
  }
}

function argumentsText(call: ScriptedToolCall): string {
  if (call.arguments === undefined) return '{}';
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

function argumentFragments(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

function textPieces(text: string | string[] | undefined): string[] {
  if (text === undefined || text === '') return [];
  if (Array.isArray(text)) return text;
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

function defaultUsage(r: Reply): ScriptedUsage {
  const completion = r.kind === 'text' ? textPieces(r.text).length : r.kind === 'toolCalls' ? r.calls.length * 10 : 1;
  return { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion };
}

function openaiError(message: string, type: string, param: string | null = null): unknown {
  return { error: { message, type, param, code: null } };
}

/** The error body each family sends for an HTTP error (agent-and-models.md §4). */
function familyError(family: ScriptedFamily, status: number, message: string): unknown {
  const type = status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  if (family === 'llamacpp') return { error: { code: status, message, type } };
  if (family === 'vllm') return { object: 'error', message, type: status >= 500 ? 'InternalServerError' : 'BadRequestError', param: null, code: status };
  return openaiError(message, type);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sseHeaders(): Record<string, string> {
  return { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body over 8 MB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
