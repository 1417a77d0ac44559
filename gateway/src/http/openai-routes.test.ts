/**
 * /v1/chat/completions and /v1/models through the gateway's real router on a real HTTP server, with
 * a fake agent and the real `openai` client. Hostile cases first: each would pass a request through
 * (or hang, or leak) without the handling it names.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '@tether/protocol';
import type { AgentRunHandle, AgentRunOutcome, AgentRunRequest, AgentService, AgentStreamEvent, RunStatus } from '../agent/service-types.js';
import type { GatewayContext } from '../context.js';
import type { Logger } from '../log.js';
import { handleHttp } from './router.js';
import { chatCompletions, type OpenAIRouteDeps } from './openai-routes.js';

const TOKEN = 'test-gateway-token-0123456789';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

/** What a fake run does once started: emit events, then end (or wait for an abort). */
type Script = (run: FakeRun) => Promise<void> | void;

class FakeRun {
  private seq = 0;
  private settle!: (outcome: AgentRunOutcome) => void;
  readonly done: Promise<AgentRunOutcome>;
  abortReason: string | undefined;
  private abortWaiters: (() => void)[] = [];

  constructor(
    readonly request: AgentRunRequest,
    readonly runId: string,
    private readonly listener: ((event: AgentStreamEvent) => void) | undefined,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  emit(stream: AgentStreamEvent['stream'], data: Record<string, unknown>): void {
    this.listener?.({ runId: this.runId, seq: ++this.seq, stream, ts: Date.now(), sessionKey: this.request.sessionKey, data });
  }

  end(status: RunStatus, text: string, extra: Partial<AgentRunOutcome> = {}): void {
    this.emit('lifecycle', { phase: status === 'error' ? 'error' : 'end' });
    this.settle({ runId: this.runId, sessionKey: this.request.sessionKey, status, text, startedAt: 0, endedAt: 1, media: [], toolRounds: 0, ...extra });
  }

  abort(reason: string | undefined): void {
    this.abortReason = reason ?? 'aborted';
    for (const wake of this.abortWaiters.splice(0)) wake();
  }

  aborted(): Promise<void> {
    return this.abortReason !== undefined ? Promise.resolve() : new Promise((resolve) => this.abortWaiters.push(resolve));
  }
}

const say =
  (pieces: string[], status: RunStatus = 'ok', extra: Partial<AgentRunOutcome> = {}): Script =>
  async (run) => {
    run.emit('lifecycle', { phase: 'start' });
    let text = '';
    for (const delta of pieces) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      text += delta;
      run.emit('assistant', { text, delta });
    }
    run.end(status, text, { usage: { promptTokens: 11, completionTokens: 7, totalTokens: 18 }, ...extra });
  };

/** Waits for an abort, then ends as aborted. */
const hang: Script = async (run) => {
  run.emit('lifecycle', { phase: 'start' });
  run.emit('assistant', { text: 'thinking', delta: 'thinking' });
  await run.aborted();
  run.end('aborted', 'thinking');
};

class FakeAgent implements AgentService {
  runs: FakeRun[] = [];
  script: Script = say(['Hello', ', ', 'world']);
  notConfigured = false;
  model: string | undefined = 'qwen2.5-7b-instruct';

  start(request: AgentRunRequest, listener?: (event: AgentStreamEvent) => void): AgentRunHandle {
    if (this.notConfigured) {
      throw new GatewayError({ code: 'UNAVAILABLE', message: 'the agent is not configured: set agent.model.baseUrl and agent.model.name', details: { code: 'AGENT_NOT_CONFIGURED' } });
    }
    const run = new FakeRun(request, request.runId ?? `run-${this.runs.length}`, listener);
    this.runs.push(run);
    void Promise.resolve().then(() => this.script(run));
    return { runId: run.runId, sessionKey: request.sessionKey, acceptedAt: Date.now(), done: run.done, abort: (reason) => run.abort(reason) };
  }
  subscribe(): () => void {
    return () => {};
  }
  async wait(): Promise<AgentRunOutcome | undefined> {
    return undefined;
  }
  abort(): string[] {
    return [];
  }
  modelName(): string | undefined {
    return this.model;
  }
  async close(): Promise<void> {}
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let agent: FakeAgent;
let server: Server;
let base: string;
let client: OpenAI;

beforeAll(async () => {
  // The gateway's real router and auth check, on a context holding only what these routes read.
  const gateway = { config: { authMode: 'token' }, sharedToken: TOKEN, log: quiet, get agent() { return agent; } } as unknown as GatewayContext;
  server = createServer((request, response) => handleHttp(gateway, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new OpenAI({ apiKey: TOKEN, baseURL: `${base}/v1`, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  agent = new FakeAgent();
});

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => any;
}

/** A request through node:http (so headers and bodies can be anything fetch would refuse). */
function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const hello = { model: 'anything', messages: [{ role: 'user' as const, content: 'hi' }] };
const post = (body: unknown, headers: Record<string, string> = auth) => raw('POST', '/v1/chat/completions', { headers, body: JSON.stringify(body) });

function expectOpenAIError(answer: RawAnswer, status: number, code: string | null): void {
  expect(answer.status).toBe(status);
  const body = answer.json();
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.code).toBe(code);
}

describe('hostile requests are refused before a run starts', () => {
  it('no token: 401 in OpenAI shape, on both routes', async () => {
    expectOpenAIError(await post(hello, { 'content-type': 'application/json' }), 401, 'invalid_api_key');
    expectOpenAIError(await raw('GET', '/v1/models'), 401, 'invalid_api_key');
    expect(agent.runs).toHaveLength(0);
  });

  it('wrong token: the openai client gets an AuthenticationError', async () => {
    const wrong = new OpenAI({ apiKey: `${TOKEN}x`, baseURL: `${base}/v1`, maxRetries: 0 });
    const error = await wrong.chat.completions.create(hello).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(agent.runs).toHaveLength(0);
  });

  it('an http(s) image URL: 400, and the gateway never fetches it', async () => {
    let fetched = 0;
    const bait = createServer((_q, r) => {
      fetched++;
      r.end('x');
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bait.address() as AddressInfo).port}/cat.png`;
    try {
      const error = await client.chat.completions
        .create({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url } }] }] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('image_url_not_supported');
      expect((error as Error).message).toMatch(/never fetches/);
      expect(fetched).toBe(0);
      expect(agent.runs).toHaveLength(0);
    } finally {
      await new Promise((resolve) => bait.close(resolve));
    }
  });

  it('bad data: URLs are refused: wrong image type, data that is not the declared type, too many images', async () => {
    const image = (url: string) => ({ type: 'image_url', image_url: { url } });
    const ask = (parts: unknown[]) => post({ messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...parts] }] });
    expectOpenAIError(await ask([image(`data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}`)]), 400, 'invalid_image');
    expectOpenAIError(await ask([image(`data:image/png;base64,${Buffer.from('not a png at all').toString('base64')}`)]), 400, 'invalid_image');
    expectOpenAIError(await ask([image('data:image/png;base64,@@@')]), 400, 'invalid_image');
    expectOpenAIError(await ask(Array.from({ length: 5 }, () => image(`data:image/png;base64,${PNG}`))), 400, 'too_many_images');
    expect(agent.runs).toHaveLength(0);
  });

  it('an oversized body: 413, declared or chunked', async () => {
    const big = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024 + 10) }] });
    expectOpenAIError(await post(JSON.parse(big)), 413, 'request_too_large');
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(64 * 1024, 0x20));
    expectOpenAIError(await raw('POST', '/v1/chat/completions', { headers: auth, chunks }), 413, 'request_too_large');
    expect(agent.runs).toHaveLength(0);
  });

  it('not JSON: 415 for another content type, 400 for a body that does not parse', async () => {
    expectOpenAIError(await raw('POST', '/v1/chat/completions', { headers: { ...auth, 'content-type': 'text/plain' }, body: JSON.stringify(hello) }), 415, 'unsupported_media_type');
    expectOpenAIError(await raw('POST', '/v1/chat/completions', { headers: auth, body: '{"messages": [' }), 400, 'invalid_json');
    expectOpenAIError(await raw('POST', '/v1/chat/completions', { headers: auth, body: '[1,2]' }), 400, 'invalid_request');
    expect(agent.runs).toHaveLength(0);
  });

  it('messages missing, empty, malformed, or not ending with a user message: 400', async () => {
    const param = async (body: unknown) => (await post(body)).json().error.param;
    expectOpenAIError(await post({ model: 'm' }), 400, null);
    expect(await param({ model: 'm' })).toBe('messages');
    expect(await param({ messages: [] })).toBe('messages');
    expect(await param({ messages: ['hi'] })).toBe('messages[0]');
    expect(await param({ messages: [{ role: 'wizard', content: 'hi' }] })).toBe('messages[0].role');
    expect(await param({ messages: [{ role: 'user', content: 42 }] })).toBe('messages[0].content');
    expect(await param({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).toBe('messages[0].content[0].type');
    expectOpenAIError(await post({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'prefill' }] }), 400, 'missing_user_message');
    expectOpenAIError(await post({ messages: [{ role: 'system', content: 'be brief' }] }), 400, 'missing_user_message');
    expect(agent.runs).toHaveLength(0);
  });

  it('a session key header with path traversal or control characters: 400, never used', async () => {
    for (const key of ['agent:main:../../etc/passwd', '../../etc/passwd', 'agent:main:a\tb', 'agent:main:', 'agent:Main:x', `agent:main:${'a'.repeat(200)}`]) {
      const answer = await post(hello, { ...auth, 'x-tether-session-key': key });
      expectOpenAIError(answer, 400, 'invalid_session_key');
    }
    expectOpenAIError(await post(hello, { ...auth, 'x-openclaw-session-key': 'agent:main:a/b' }), 400, 'invalid_session_key');
    // Two different keys are ambiguous, not "first one wins".
    expectOpenAIError(await post(hello, { ...auth, 'x-tether-session-key': 'agent:main:a', 'x-openclaw-session-key': 'agent:main:b' }), 400, 'invalid_session_key');
    expect(agent.runs).toHaveLength(0);
  });

  it('client tools: 400 tools_not_supported (not silently ignored); tool_choice "none" or no tools is accepted', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const error = await client.chat.completions.create({ ...hello, tools }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('tools_not_supported');
    expect((error as Error).message).toMatch(/client tools are not executed/);
    expectOpenAIError(await post({ ...hello, tools, tool_choice: 'auto' }), 400, 'tools_not_supported');
    expectOpenAIError(await post({ ...hello, functions: [{ name: 'f' }] }), 400, 'tools_not_supported');
    expect(agent.runs).toHaveLength(0);
    await client.chat.completions.create({ ...hello, tools, tool_choice: 'none' });
    await client.chat.completions.create({ ...hello, tools: [] });
    expect(agent.runs).toHaveLength(2);
  });

  it('n > 1 is refused rather than answered with one choice', async () => {
    expectOpenAIError(await post({ ...hello, n: 2 }), 400, 'n_not_supported');
  });
});

describe('a client that goes away aborts its run', () => {
  it('streaming: the run is aborted when the client disconnects', async () => {
    agent.script = hang;
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...hello, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.choices[0]?.delta.role).toBe('assistant');
    controller.abort();
    await iterator.next().catch(() => undefined);
    const run = agent.runs[0]!;
    await run.aborted();
    expect(run.abortReason).toMatch(/disconnected/);
  });

  it('non-streaming: the run is aborted when the client disconnects', async () => {
    agent.script = hang;
    const controller = new AbortController();
    const pending = client.chat.completions.create(hello, { signal: controller.signal }).catch((e: unknown) => e);
    await until(() => agent.runs.length === 1);
    controller.abort();
    await pending;
    await agent.runs[0]!.aborted();
    expect(agent.runs[0]!.abortReason).toMatch(/disconnected/);
  });
});

describe('answers', () => {
  it('non-stream: a chat.completion with the text, finish_reason stop, usage and the model echoed', async () => {
    const answer = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.object).toBe('chat.completion');
    expect(answer.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/);
    expect(answer.model).toBe('gpt-4o');
    expect(typeof answer.created).toBe('number');
    expect(answer.choices).toHaveLength(1);
    expect(answer.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello, world' });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
  });

  it('maps system messages, earlier turns and the last user message images onto one run', async () => {
    await client.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'user', content: [{ type: 'text', text: 'first question' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'text', text: 'and this one?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'low' } }] },
      ],
      temperature: 0.2,
    });
    const request = agent.runs[0]!.request;
    expect(request.extraSystemPrompt).toBe('Be brief.\n\nAnswer in English.');
    expect(request.message).toBe(
      '[Earlier conversation, as sent by the client]\nUser: first question [1 image not shown]\nAssistant: first answer\n[End of earlier conversation]\n\nand this one?',
    );
    expect(request.images).toEqual([{ mimeType: 'image/png', base64: PNG }]);
    expect(request.runId).toMatch(/^chatcmpl-/);
    expect(request.sessionKey).toMatch(/^agent:main:openai:[0-9a-f-]{36}$/);
  });

  it('sessions: the header, else the safe user, else a fresh key each call', async () => {
    await post(hello, { ...auth, 'x-tether-session-key': 'agent:main:openai:my-chat' });
    await post(hello, { ...auth, 'x-openclaw-session-key': 'agent:main:telegram:dm:12345' });
    await post({ ...hello, user: 'alice@example.com' });
    await post({ ...hello, user: 'bob/../../x' });
    await post(hello);
    const keys = agent.runs.map((run) => run.request.sessionKey);
    expect(keys.slice(0, 3)).toEqual(['agent:main:openai:my-chat', 'agent:main:telegram:dm:12345', 'agent:main:openai-user:alice@example.com']);
    expect(keys[3]).toMatch(/^agent:main:openai:[0-9a-f-]{36}$/);
    expect(keys[4]).toMatch(/^agent:main:openai:[0-9a-f-]{36}$/);
    expect(keys[3]).not.toBe(keys[4]);
    const answer = await post(hello, { ...auth, 'x-tether-session-key': 'agent:main:openai:my-chat' });
    expect(answer.headers['x-tether-session-key']).toBe('agent:main:openai:my-chat');
  });

  it('stream: role chunk, content deltas, a final finish_reason chunk, a usage chunk, [DONE]; tool events stay out of the content', async () => {
    agent.script = async (run) => {
      run.emit('assistant', { text: 'Let me look.', delta: 'Let me look.' });
      run.emit('tool', { phase: 'start', name: 'camera_snap', toolCallId: 'call_1', args: { node: 'kitchen' } });
      run.emit('tool', { phase: 'result', name: 'camera_snap', toolCallId: 'call_1', result: 'SECRET-TOOL-OUTPUT' });
      run.emit('assistant', { text: 'Let me look. A cat.', delta: ' A cat.' });
      run.end('ok', 'Let me look. A cat.', { usage: { promptTokens: 5, completionTokens: 4, totalTokens: 9 } });
    };
    const stream = await client.chat.completions.create({ ...hello, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant' });
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe('Let me look. A cat.');
    expect(JSON.stringify(chunks)).not.toContain('SECRET-TOOL-OUTPUT');
    const finals = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.choices[0]!.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);

    // And on the wire: SSE headers, ends with [DONE].
    const wire = await post({ ...hello, stream: true });
    expect(wire.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(wire.headers['cache-control']).toBe('no-cache');
    expect(wire.headers['x-accel-buffering']).toBe('no');
    expect(wire.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(wire.text).not.toContain('"usage"');
  });

  it('.stream().finalChatCompletion() works (it throws when finish_reason never comes)', async () => {
    const final = await client.chat.completions.stream({ ...hello }).finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('Hello, world');
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });

  it('an agent that does not stream still delivers its whole text', async () => {
    agent.script = (run) => run.end('ok', 'all at once');
    const final = await client.chat.completions.stream({ ...hello }).finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe('all at once');
  });

  it('a timed-out run ends with finish_reason length, streamed or not', async () => {
    agent.script = say(['partial'], 'timeout');
    const answer = await client.chat.completions.create(hello);
    expect(answer.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'partial' } });
    const final = await client.chat.completions.stream({ ...hello }).finalChatCompletion();
    expect(final.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'partial' } });
  });

  it('a run error mid-stream: data {"error"} then [DONE]; the client raises it', async () => {
    agent.script = say(['half'], 'error', { error: { code: 'MODEL_UNREACHABLE', message: 'the model server at http://127.0.0.1:1 did not answer' } });
    const stream = await client.chat.completions.create({ ...hello, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/did not answer/);
    expect(seen.join('')).toBe('half');
    const wire = await post({ ...hello, stream: true });
    expect(wire.text).toMatch(/data: \{"error":\{"message":"the model server[^\n]*\n\ndata: \[DONE\]\n\n$/);
  });

  it('a run error without streaming: 502 for the model, 500 for the gateway, 400 for context length', async () => {
    agent.script = say([], 'error', { error: { code: 'MODEL_SERVER_ERROR', message: 'the model server answered 500' } });
    expectOpenAIError(await post(hello), 502, 'model_server_error');
    agent.script = say([], 'error', { error: { code: 'TOOL_LOOP_FAILED', message: 'boom' } });
    expectOpenAIError(await post(hello), 500, 'tool_loop_failed');
    agent.script = say([], 'error', { error: { code: 'MODEL_CONTEXT_LENGTH', message: 'too long' } });
    expectOpenAIError(await post(hello), 400, 'context_length_exceeded');
  });

  it('no model configured: 503 naming the config keys', async () => {
    agent.notConfigured = true;
    const answer = await post(hello);
    expectOpenAIError(answer, 503, 'agent_not_configured');
    expect(answer.json().error.message).toMatch(/agent\.model\.baseUrl/);
    const error = await client.chat.completions.create({ ...hello, stream: true }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  });

  it('GET /v1/models lists tether and the configured model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tether', 'qwen2.5-7b-instruct']);
    agent.model = undefined;
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tether']);
  });

  it('wrong methods are 405 through the router', async () => {
    expect((await raw('GET', '/v1/chat/completions', { headers: auth })).status).toBe(405);
    expect((await raw('POST', '/v1/models', { headers: auth, body: '{}' })).status).toBe(405);
  });
});

describe('the handler alone, with its own deps', () => {
  it('honours smaller limits and its authorize function', async () => {
    const fake = new FakeAgent();
    const deps: OpenAIRouteDeps = { agent: fake, authorize: (q) => q.headers.authorization === 'Bearer ok', log: quiet, limits: { maxBodyBytes: 100 } };
    const own = createServer((q, r) => void chatCompletions(deps, q, r));
    await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(own.address() as AddressInfo).port}/v1`;
    try {
      const ok = new OpenAI({ apiKey: 'ok', baseURL: url, maxRetries: 0 });
      expect((await ok.chat.completions.create(hello)).choices[0]!.message.content).toBe('Hello, world');
      await expect(ok.chat.completions.create({ ...hello, messages: [{ role: 'user', content: 'x'.repeat(200) }] })).rejects.toMatchObject({ status: 413 });
      await expect(new OpenAI({ apiKey: 'no', baseURL: url, maxRetries: 0 }).chat.completions.create(hello)).rejects.toMatchObject({ status: 401 });
    } finally {
      own.closeAllConnections();
      await new Promise((resolve) => own.close(resolve));
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
