/** The model client end to end against the scripted OpenAI-compatible server, one family quirk at a time. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { reply, type ScriptedModel } from '../../../../test/helpers/scripted-model.js';
import { scriptedModelPerTest } from '../../../../test/helpers/scripted-model-per-test.js';
import type { ModelTool } from '../tools/catalogue.js';
import { createModelClient, type ModelClientOptions } from './model-client.js';
import { ModelError, type ModelRequest } from './types.js';

const start = scriptedModelPerTest();

const ask: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], tools: [] };
const tool: ModelTool = { name: 'camera_snap', description: 'Take a photo.', parameters: { type: 'object', properties: { node: { type: 'string' } }, additionalProperties: false } };
const withTools: ModelRequest = { ...ask, tools: [tool] };

/** Waits recorded instead of slept: no test depends on the clock. */
function client(m: ScriptedModel | { url: string }, extra: Partial<ModelClientOptions> = {}) {
  const waits: number[] = [];
  const c = createModelClient({
    model: 'm',
    baseUrl: m.url,
    apiKey: 'sk-test',
    detectProfile: false,
    random: () => 1,
    sleep: async (ms) => void waits.push(ms),
    ...extra,
  });
  return Object.assign(c, { waits });
}

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('createModelClient', () => {
  it('streams text through onText and sends a minimal body: stream, include_usage, no tools, the API key', async () => {
    const m = await start();
    m.script(reply.text('hello there', { usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } }));
    const seen: string[] = [];
    const turn = await client(m).complete(ask, { onText: (d) => seen.push(d) });
    expect(turn).toEqual({ text: 'hello there', toolCalls: [], finishReason: 'stop', usage: { promptTokens: 4, completionTokens: 2, totalTokens: 6 } });
    expect(seen).toEqual(['hello ', 'there']);
    const sent = m.requests[0]!;
    expect(sent.body).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    expect(sent.headers.authorization).toBe('Bearer sk-test');
  });

  it('sends tools as functions, and parallel_tool_calls:false only where the profile says it is honoured', async () => {
    const m = await start();
    m.script(reply.text('a'), reply.text('b'), reply.text('c'));
    await client(m).complete(withTools);
    await client(m, { profile: { parallelToolCalls: 'honoured' } }).complete(withTools);
    await client(m, { profile: { parallelToolCalls: 'dropped' } }).complete(withTools);
    const [ignored, honoured, dropped] = m.requests.map((r) => r.body);
    expect(ignored.tools).toEqual([{ type: 'function', function: { name: 'camera_snap', description: 'Take a photo.', parameters: tool.parameters } }]);
    expect(ignored).not.toHaveProperty('parallel_tool_calls');
    expect(honoured.parallel_tool_calls).toBe(false);
    expect(dropped).not.toHaveProperty('parallel_tool_calls');
  });

  it('openai family: two calls in fragments', async () => {
    const m = await start();
    m.script(reply.toolCalls([{ name: 'a', arguments: { node: 'kitchen-pi', quality: 80 } }, { name: 'b', arguments: {} }]));
    const turn = await client(m).complete(withTools);
    expect(turn.finishReason).toBe('tool_calls');
    expect(turn.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['a', { node: 'kitchen-pi', quality: 80 }],
      ['b', {}],
    ]);
    expect(turn.toolCalls[0]!.id).toMatch(/^call_scripted_/);
  });

  it('ollama family: whole calls with no index and finish_reason stop are still tool calls', async () => {
    const m = await start({ family: 'ollama' });
    m.script(reply.toolCalls([{ name: 'a', arguments: { x: 1 } }, { name: 'b', arguments: { y: 2 } }]));
    const turn = await client(m).complete(withTools);
    expect(turn.finishReason).toBe('tool_calls');
    expect(turn.toolCalls.map((c) => [c.name, c.arguments])).toEqual([
      ['a', { x: 1 }],
      ['b', { y: 2 }],
    ]);
  });

  it('ollama family: every call at index 0 and no ids: separate calls with synthesised ids', async () => {
    const m = await start({ family: 'ollama', ollamaIndex: 'zero', ollamaOmitIds: true });
    m.script(reply.toolCalls([{ name: 'a', arguments: { x: 1 } }, { name: 'a', arguments: { x: 2 } }]));
    const turn = await client(m).complete(withTools);
    expect(turn.toolCalls).toEqual([
      { id: 'call_0', name: 'a', argumentsText: '{"x":1}', arguments: { x: 1 } },
      { id: 'call_1', name: 'a', argumentsText: '{"x":2}', arguments: { x: 2 } },
    ]);
  });

  it('vllm family: fragments and network chunks split at odd places', async () => {
    const m = await start({ family: 'vllm' });
    m.script(reply.toolCalls([{ name: 'say', arguments: { text: 'ünïcödé 🌍 "quoted"' } }], { text: 'sure' }));
    const turn = await client(m).complete(withTools);
    expect(turn.text).toBe('sure');
    expect(turn.toolCalls[0]!.arguments).toEqual({ text: 'ünïcödé 🌍 "quoted"' });
  });

  it('no-finish family: a stream with no finish_reason before [DONE] is a normal turn', async () => {
    const m = await start({ family: 'no-finish' });
    m.script(reply.text('done'), reply.toolCalls([{ name: 'a' }]));
    expect(await client(m).complete(ask)).toMatchObject({ text: 'done', finishReason: 'unknown' });
    expect(await client(m).complete(withTools)).toMatchObject({ finishReason: 'tool_calls', toolCalls: [{ name: 'a', arguments: {} }] });
  });

  it('malformed arguments come back as parseError, not a throw', async () => {
    const m = await start();
    m.script(reply.toolCalls([{ name: 'a', arguments: '{"node": "pi",' }]));
    const turn = await client(m).complete(withTools);
    expect(turn.toolCalls[0]).toMatchObject({ name: 'a', argumentsText: '{"node": "pi",', parseError: expect.any(String) });
  });

  it('data error mid-stream → MODEL_STREAM_ERROR; a llama.cpp context error → MODEL_CONTEXT_LENGTH; neither retried', async () => {
    const m = await start({ family: 'llamacpp' });
    m.script(
      reply.sseError({ message: 'Error trying to handle streaming tool call' }, { textBefore: 'partial' }),
      reply.sseError({ code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error' }),
    );
    const c = client(m);
    expect(await failure(c.complete(ask))).toMatchObject({ code: 'MODEL_STREAM_ERROR', details: { providerMessage: 'Error trying to handle streaming tool call' } });
    expect(await failure(c.complete(ask))).toMatchObject({ code: 'MODEL_CONTEXT_LENGTH' });
    expect(m.requests).toHaveLength(2);
  });

  it('the old llama.cpp `error:` field becomes an error (the SDK would drop it silently)', async () => {
    const m = await start({ family: 'llamacpp' });
    m.script(reply.legacyErrorField({ code: 500, message: 'tools param requires --jinja flag' }, { textBefore: 'x' }));
    expect(await failure(client(m).complete(ask))).toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /--jinja/ });
  });

  it('HTTP 400 → MODEL_REQUEST_REFUSED with the provider message, not retried', async () => {
    const m = await start({ family: 'ollama' });
    m.script(reply.httpError(400, { error: { message: 'invalid image input', type: 'invalid_request_error', param: null, code: null } }));
    const c = client(m);
    const error = await failure(c.complete(ask));
    expect(error).toMatchObject({ code: 'MODEL_REQUEST_REFUSED', details: { status: 400, providerMessage: 'invalid image input' } });
    expect(error.message).toContain('invalid image input');
    expect(m.requests).toHaveLength(1);
  });

  it("HTTP 400 in vLLM's old top-level shape still yields the message", async () => {
    const m = await start({ family: 'vllm' });
    m.script(reply.httpError(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'));
    expect(await failure(client(m).complete(withTools))).toMatchObject({
      code: 'MODEL_REQUEST_REFUSED',
      details: { providerMessage: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set' },
    });
  });

  it('HTTP 400 saying the context is too long → MODEL_CONTEXT_LENGTH', async () => {
    const m = await start();
    m.script(reply.httpError(400, { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } }));
    expect(await failure(client(m).complete(ask))).toMatchObject({ code: 'MODEL_CONTEXT_LENGTH' });
  });

  it('HTTP 401 and 403 → MODEL_AUTH naming agent.apiKey and OPENAI_API_KEY', async () => {
    const m = await start();
    m.script(reply.httpError(401, 'Incorrect API key provided'), reply.httpError(403, 'forbidden'));
    const c = client(m);
    for (const status of [401, 403]) {
      const error = await failure(c.complete(ask));
      expect(error).toMatchObject({ code: 'MODEL_AUTH', details: { status } });
      expect(error.message).toMatch(/agent\.apiKey.*OPENAI_API_KEY/);
    }
    expect(c.waits).toEqual([]);
  });

  it('429 then success: retried, honouring Retry-After (capped)', async () => {
    const m = await start();
    m.script(reply.httpError(429, 'slow down', { retryAfter: 2 }), reply.httpError(429, 'slower', { retryAfter: 3600 }), reply.text('ok'));
    const c = client(m, { retryMaxDelayMs: 10_000 });
    expect((await c.complete(ask)).text).toBe('ok');
    expect(c.waits).toEqual([2000, 10_000]);
    expect(m.requests).toHaveLength(3);
  });

  it('429 until retries run out → MODEL_RATE_LIMITED after 1 + maxRetries attempts, with exponential backoff', async () => {
    const m = await start();
    m.script(...Array.from({ length: 4 }, () => reply.httpError(429, 'rate limited')));
    const c = client(m, { retryBaseDelayMs: 100 });
    expect(await failure(c.complete(ask))).toMatchObject({ code: 'MODEL_RATE_LIMITED', details: { status: 429, retryable: true } });
    expect(m.requests).toHaveLength(4);
    expect(c.waits).toEqual([100, 200, 400]);
  });

  it('HTTP 500 with a string error → retried, then MODEL_SERVER_ERROR with that string', async () => {
    const m = await start();
    m.script(reply.httpError(500, { error: 'model runner crashed' }), reply.httpError(500, { error: 'model runner crashed' }));
    const error = await failure(client(m, { maxRetries: 1 }).complete(ask));
    expect(error).toMatchObject({ code: 'MODEL_SERVER_ERROR', details: { status: 500, providerMessage: 'model runner crashed' } });
    expect(m.requests).toHaveLength(2);
  });

  it('a connection dropped before any answer is retried', async () => {
    const m = await start();
    m.script(reply.dropConnection(), reply.text('back'));
    const c = client(m);
    expect((await c.complete(ask)).text).toBe('back');
    expect(c.waits).toHaveLength(1);
  });

  it('a connection dropped mid-stream is MODEL_STREAM_ERROR and not retried (the text already went out)', async () => {
    const m = await start();
    m.script(reply.dropConnection({ textBefore: 'half an answer' }), reply.text('never'));
    const error = await failure(client(m).complete(ask));
    expect(error.code).toBe('MODEL_STREAM_ERROR');
    expect(m.pending()).toBe(1);
  });

  it('an unreachable server → MODEL_UNREACHABLE naming agent.baseUrl / TETHER_AGENT_BASE_URL, after retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const c = client({ url: `http://127.0.0.1:${port}/v1` }, { maxRetries: 2 });
    const error = await failure(c.complete(ask));
    expect(error.code).toBe('MODEL_UNREACHABLE');
    expect(error.message).toMatch(/agent\.baseUrl \/ TETHER_AGENT_BASE_URL/);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(c.waits).toHaveLength(2);
  });

  it('abort mid-stream → MODEL_ABORTED', async () => {
    const m = await start();
    m.script(reply.hang({ textBefore: 'thinking' }));
    const controller = new AbortController();
    const error = await failure(client(m).complete(ask, { signal: controller.signal, onText: () => controller.abort() }));
    expect(error.code).toBe('MODEL_ABORTED');
  });

  it('abort before the answer, during backoff, or before starting → MODEL_ABORTED', async () => {
    const m = await start();
    m.script(reply.hang(), reply.httpError(503, 'busy'));
    const controller = new AbortController();
    const pending = client(m).complete(ask, { signal: controller.signal });
    await waitFor(() => m.requests.length === 1);
    controller.abort();
    expect((await failure(pending)).code).toBe('MODEL_ABORTED');

    const during = new AbortController();
    const c = createModelClient({
      model: 'm',
      baseUrl: m.url,
      detectProfile: false,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
          during.abort();
        }),
    });
    expect((await failure(c.complete(ask, { signal: during.signal }))).code).toBe('MODEL_ABORTED');
    expect((await failure(c.complete(ask, { signal: AbortSignal.abort() }))).code).toBe('MODEL_ABORTED');
  });

  it('a stream line over the cap fails with MODEL_STREAM_ERROR even when the stream is otherwise valid', async () => {
    const m = await start();
    const big = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x'.repeat(20_000) } }] })}\n\n`;
    m.script(reply.raw([big.slice(0, 7000), big.slice(7000), 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n', 'data: [DONE]\n\n']));
    expect(await failure(client(m, { limits: { maxLineChars: 8192 } }).complete(ask))).toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /over 8192 characters/ });
  });

  it('a stream that stops with neither finish_reason nor [DONE] is an error, not a short answer', async () => {
    const m = await start();
    m.script(reply.raw(['data: {"choices":[{"index":0,"delta":{"content":"The answer is"}}]}\n\n']));
    expect(await failure(client(m).complete(ask))).toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /ended before the model finished/ });
  });

  it('a server that ignores stream:true and answers one chat.completion is read the same', async () => {
    const m = await start();
    const whole = { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'whole', tool_calls: [{ id: 'x', type: 'function', function: { name: 'a', arguments: '{}' } }] }, finish_reason: 'tool_calls' }] };
    m.script(reply.raw([JSON.stringify(whole)], { headers: { 'content-type': 'application/json' } }));
    expect(await client(m).complete(withTools)).toMatchObject({ text: 'whole', toolCalls: [{ id: 'x', name: 'a', arguments: {} }], finishReason: 'tool_calls' });
  });

  it("an error thrown by the caller's onText reaches the caller as is, not as a stream error", async () => {
    const m = await start();
    m.script(reply.text('hello there'));
    const mine = new Error('listener failed');
    await expect(
      client(m).complete(ask, {
        onText: () => {
          throw mine;
        },
      }),
    ).rejects.toBe(mine);
  });

  it('refuses to start without a model or a usable base URL', () => {
    expect(() => createModelClient({ model: '', baseUrl: 'http://x/v1' })).toThrow(expect.objectContaining({ code: 'MODEL_NOT_CONFIGURED' }));
    expect(() => createModelClient({ model: 'm', baseUrl: '' })).toThrow(/agent\.baseUrl/);
    expect(() => createModelClient({ model: 'm', baseUrl: 'not a url' })).toThrow(expect.objectContaining({ code: 'MODEL_NOT_CONFIGURED' }));
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
