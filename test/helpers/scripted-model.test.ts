/** The scripted model speaks the wire format each family really sends; checked here with plain fetch. */
import { describe, expect, it } from 'vitest';
import { reply } from './scripted-model.js';
import { scriptedModelPerTest } from './scripted-model-per-test.js';

const start = scriptedModelPerTest();

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, ...extra });

/** SSE events as `[field, value]` pairs: enough for the server's own simple framing. */
async function events(response: Response): Promise<[string, string][]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const at = block.indexOf(':');
      return [block.slice(0, at), block.slice(at + 1).trim()];
    });
}

const chunks = (list: [string, string][]) => list.filter(([f, v]) => f === 'data' && v !== '[DONE]').map(([, v]) => JSON.parse(v));

describe('scripted model', () => {
  it('streams text in OpenAI shape: role chunk, content, finish_reason, usage, [DONE]; records the request', async () => {
    const m = await start();
    m.script(reply.text('hello there', { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }));
    const res = await post(m.url, chat({ stream_options: { include_usage: true } }), { authorization: 'Bearer k' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const list = await events(res);
    expect(list.at(-1)).toEqual(['data', '[DONE]']);
    const parsed = chunks(list);
    expect(parsed[0].choices[0].delta.role).toBe('assistant');
    expect(parsed.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hello there');
    expect(parsed.at(-2).choices[0].finish_reason).toBe('stop');
    expect(parsed.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 5 } });
    expect(m.requests).toHaveLength(1);
    expect(m.requests[0]!.body.messages[0].content).toBe('hi');
    expect(m.requests[0]!.headers.authorization).toBe('Bearer k');
  });

  it('OpenAI tool calls: index+id+name first, then argument fragments, finish_reason tool_calls', async () => {
    const m = await start();
    m.script(reply.toolCalls([{ name: 'a', arguments: { x: 'a long enough value' } }, { name: 'b', arguments: '{bad' }]));
    const parsed = chunks(await events(await post(m.url, chat())));
    const deltas = parsed.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'a', arguments: '' } });
    expect(deltas[0].id).toMatch(/^call_/);
    expect(deltas.filter((d: any) => d.index === 0).length).toBeGreaterThan(2);
    expect(deltas.filter((d: any) => d.index === 0).map((d: any) => d.function.arguments).join('')).toBe('{"x":"a long enough value"}');
    expect(deltas.filter((d: any) => d.index === 1).map((d: any) => d.function.arguments).join('')).toBe('{bad');
    expect(parsed.at(-1).choices[0].finish_reason).toBe('tool_calls');
  });

  it('Ollama: each call whole in one chunk, no index; or index 0 for all, and optionally no id', async () => {
    let m = await start({ family: 'ollama' });
    m.script(reply.toolCalls([{ name: 'a', arguments: { x: 1 } }, { name: 'b' }]));
    let deltas = chunks(await events(await post(m.url, chat()))).flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas).toHaveLength(2);
    expect(deltas[0]).not.toHaveProperty('index');
    expect(deltas[0]).toMatchObject({ function: { name: 'a', arguments: '{"x":1}' } });
    expect(deltas[0].id).toBeTruthy();
    await m.close();

    m = await start({ family: 'ollama', ollamaIndex: 'zero', ollamaOmitIds: true });
    m.script(reply.toolCalls([{ name: 'a' }, { name: 'b' }]));
    deltas = chunks(await events(await post(m.url, chat()))).flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.map((d: any) => d.index)).toEqual([0, 0]);
    expect(deltas.every((d: any) => !('id' in d))).toBe(true);
  });

  it('no-finish never sends a finish_reason; vLLM error bodies use the old top-level shape', async () => {
    let m = await start({ family: 'no-finish' });
    m.script(reply.text('x'));
    expect(chunks(await events(await post(m.url, chat()))).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    await m.close();

    m = await start({ family: 'vllm' });
    m.script(reply.httpError(400, 'bad thing'));
    const res = await post(m.url, chat());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ object: 'error', message: 'bad thing', type: 'BadRequestError', param: null, code: 400 });
  });

  it('errors: HTTP with Retry-After, data error mid-stream, legacy error field', async () => {
    const m = await start();
    m.script(reply.httpError(429, 'slow down', { retryAfter: 2 }), reply.sseError({ message: 'boom' }, { textBefore: 'partial' }), reply.legacyErrorField({ message: 'old', code: 500 }));
    const limited = await post(m.url, chat());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(((await limited.json()) as any).error.message).toBe('slow down');
    const midStream = chunks(await events(await post(m.url, chat())));
    expect(midStream.at(-1)).toEqual({ error: { message: 'boom' } });
    const legacy = await events(await post(m.url, chat()));
    expect(legacy).toContainEqual(['error', '{"message":"old","code":500}']);
  });

  it('refuses what a real server refuses, and fails loudly when the test scripted nothing', async () => {
    const m = await start();
    const notJson = await post(m.url, '{nope');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).error.type).toBe('invalid_request_error');
    expect((await post(m.url, { messages: [] })).status).toBe(400);
    expect((await post(m.url, { model: 'm' })).status).toBe(400);
    const empty = await post(m.url, chat());
    expect(empty.status).toBe(500);
    expect(((await empty.json()) as any).error.message).toMatch(/test gave no reply for chat request #4/);
  });

  it('non-streamed requests get a chat.completion; GET /v1/models lists the models', async () => {
    const m = await start({ models: [{ id: 'qwen', max_model_len: 32768 }] });
    m.script(reply.toolCalls([{ name: 'a', arguments: { x: 1 } }], { text: 'calling' }));
    const whole = (await (await post(m.url, chat({ stream: false }))).json()) as any;
    expect(whole.object).toBe('chat.completion');
    expect(whole.choices[0].message).toMatchObject({ content: 'calling', tool_calls: [{ type: 'function', function: { name: 'a', arguments: '{"x":1}' } }] });
    const list = (await (await fetch(`${m.url}/models`)).json()) as any;
    expect(list).toMatchObject({ object: 'list', data: [{ id: 'qwen', object: 'model', max_model_len: 32768 }] });
  });

  it('drops the connection, and hangs until closed', async () => {
    const m = await start();
    m.script(reply.dropConnection(), reply.hang({ textBefore: 'hi' }));
    await expect(post(m.url, chat())).rejects.toThrow();
    const hanging = await post(m.url, chat());
    const reader = hanging.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('assistant');
    const rest = reader.read();
    await m.close();
    await expect(rest).rejects.toThrow();
  });
});
