/** Chunks → ModelTurn for every server quirk in agent-and-models.md §4, from hand-written SSE. */
import { describe, expect, it } from 'vitest';
import { parseSse } from './sse.js';
import { StreamNormaliser, type NormaliserLimits } from './stream-normaliser.js';
import { ModelError, type ModelTurn } from './types.js';

const enc = new TextEncoder();

/** Runs SSE text through the parser and the normaliser, as the client does. */
async function turn(sse: string, limits?: NormaliserLimits, onText?: (d: string) => void): Promise<ModelTurn> {
  const normaliser = new StreamNormaliser({ ...(limits ? { limits } : {}), ...(onText ? { onText } : {}) });
  async function* source(): AsyncGenerator<Uint8Array> {
    yield enc.encode(sse);
  }
  for await (const event of parseSse(source())) {
    normaliser.pushEvent(event);
    if (normaliser.finished) break;
  }
  return normaliser.result();
}

/** SSE text of these chunks (`choices[0]` fields given directly) then [DONE]. */
function sse(...choices: Record<string, unknown>[]): string {
  return choices.map((c) => `data: ${JSON.stringify('raw' in c ? c.raw : { object: 'chat.completion.chunk', choices: [{ index: 0, finish_reason: null, ...c }] })}\n\n`).join('') + 'data: [DONE]\n\n';
}

const tc = (...calls: Record<string, unknown>[]) => ({ delta: { tool_calls: calls } });

describe('StreamNormaliser', () => {
  it('reads OpenAI-shaped text, two indexed calls in fragments, finish_reason and usage', async () => {
    const seen: string[] = [];
    const result = await turn(
      sse(
        { delta: { role: 'assistant', content: '' } },
        { delta: { content: 'Let me ' } },
        { delta: { content: 'look.' } },
        tc({ index: 0, id: 'call_a', type: 'function', function: { name: 'camera_snap', arguments: '' } }),
        tc({ index: 0, function: { arguments: '{"node":' } }),
        tc({ index: 1, id: 'call_b', type: 'function', function: { name: 'location_get', arguments: '{}' } }),
        tc({ index: 0, function: { arguments: '"pi"}' } }),
        { delta: {}, finish_reason: 'tool_calls' },
        { raw: { choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } } },
      ),
      undefined,
      (d) => seen.push(d),
    );
    expect(seen).toEqual(['Let me ', 'look.']);
    expect(result).toEqual({
      text: 'Let me look.',
      toolCalls: [
        { id: 'call_a', name: 'camera_snap', argumentsText: '{"node":"pi"}', arguments: { node: 'pi' } },
        { id: 'call_b', name: 'location_get', argumentsText: '{}', arguments: {} },
      ],
      finishReason: 'tool_calls',
      usage: { promptTokens: 5, completionTokens: 7, totalTokens: 12 },
    });
  });

  it('Ollama before v0.4.7: calls with no index each open their own call', async () => {
    const result = await turn(
      sse(
        tc({ id: 'c1', function: { name: 'a', arguments: '{"x":1}' } }),
        tc({ id: 'c2', function: { name: 'b', arguments: '{"y":2}' } }),
        { delta: {}, finish_reason: 'stop' },
      ),
    );
    expect(result.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['c1', 'a', { x: 1 }],
      ['c2', 'b', { y: 2 }],
    ]);
  });

  it('Ollama #15457: index 0 reused for two calls with different ids is two calls, not merged arguments', async () => {
    const result = await turn(sse(tc({ index: 0, id: 'c1', function: { name: 'a', arguments: '{"x":1}' } }), tc({ index: 0, id: 'c2', function: { name: 'b', arguments: '{"y":2}' } })));
    expect(result.toolCalls.map((c) => [c.id, c.name, c.argumentsText])).toEqual([
      ['c1', 'a', '{"x":1}'],
      ['c2', 'b', '{"y":2}'],
    ]);
  });

  it('index 0 reused with no ids at all: a complete call followed by a named one is a new call; ids are synthesised', async () => {
    const result = await turn(sse(tc({ index: 0, function: { name: 'a', arguments: '{"x":1}' } }), tc({ index: 0, function: { name: 'a', arguments: '{"x":2}' } })));
    expect(result.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['call_0', 'a', { x: 1 }],
      ['call_1', 'a', { x: 2 }],
    ]);
  });

  it('a first delta with index but no id (gpt-oss via Ollama), continued by fragments, gets call_<n>', async () => {
    const result = await turn(sse(tc({ index: 0, function: { name: 'a', arguments: '{"q":' } }), tc({ index: 0, function: { name: 'a', arguments: '"v"}' } })));
    expect(result.toolCalls).toEqual([{ id: 'call_0', name: 'a', argumentsText: '{"q":"v"}', arguments: { q: 'v' } }]);
  });

  it('vLLM-style fragments split at odd places, one character at a time', async () => {
    const args = '{"text":"a \\"quoted\\" é"}';
    const fragments = [...args].map((ch) => tc({ index: 0, function: { arguments: ch } }));
    const result = await turn(sse(tc({ index: 0, id: 'v1', function: { name: 'say' } }), ...fragments, { delta: {}, finish_reason: 'tool_calls' }));
    expect(result.toolCalls[0]).toMatchObject({ id: 'v1', name: 'say', arguments: { text: 'a "quoted" é' } });
  });

  it('tool calls mean tool_calls whatever finish_reason says: stop, missing, or tool_calls', async () => {
    const call = tc({ index: 0, id: 'c', function: { name: 'a', arguments: '{}' } });
    expect((await turn(sse(call, { delta: {}, finish_reason: 'stop' }))).finishReason).toBe('tool_calls');
    expect((await turn(sse(call))).finishReason).toBe('tool_calls');
    expect((await turn(sse({ delta: { content: 'hi' } }))).finishReason).toBe('unknown');
    expect((await turn(sse(call, { delta: {}, finish_reason: 'length' }))).finishReason).toBe('length');
  });

  it('malformed arguments are a parseError, not a throw; empty arguments are {}; non-objects are refused', async () => {
    const result = await turn(
      sse(
        tc({ index: 0, id: 'a', function: { name: 'bad', arguments: '{"x": 1' } }),
        tc({ index: 1, id: 'b', function: { name: 'empty', arguments: '' } }),
        tc({ index: 2, id: 'c', function: { name: 'list', arguments: '[1,2]' } }),
        tc({ index: 3, id: 'd', function: { name: 'twice', arguments: JSON.stringify('{"k":true}') } }),
      ),
    );
    const [bad, empty, list, twice] = result.toolCalls;
    expect(bad).toMatchObject({ name: 'bad', argumentsText: '{"x": 1', parseError: expect.stringMatching(/not valid JSON/) });
    expect(bad).not.toHaveProperty('arguments');
    expect(empty).toMatchObject({ arguments: {} });
    expect(list).toMatchObject({ parseError: expect.stringMatching(/JSON object, got an array/) });
    expect(twice).toMatchObject({ arguments: { k: true } });
  });

  it('data: {"error":…} mid-stream is a MODEL_STREAM_ERROR carrying the provider message', async () => {
    const error = await turn(sse({ delta: { content: 'par' } }, { raw: { error: { message: 'Error trying to handle streaming tool call', type: 'server_error' } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'MODEL_STREAM_ERROR', details: { providerMessage: 'Error trying to handle streaming tool call' } });
  });

  it('a context-size error in the stream is MODEL_CONTEXT_LENGTH (llama.cpp #14566)', async () => {
    const body = { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error' } };
    await expect(turn(sse({ raw: body }))).rejects.toMatchObject({ code: 'MODEL_CONTEXT_LENGTH', details: { status: 400 } });
  });

  it("old llama.cpp's `error:` field is an error, not silence", async () => {
    const text = 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\nerror: {"code":500,"message":"slot unavailable"}\n\n';
    await expect(turn(text)).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /slot unavailable/ });
    await expect(turn('error: not even json\n\n')).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /not even json/ });
  });

  it('a data line that is not JSON is a MODEL_STREAM_ERROR', async () => {
    await expect(turn('data: {oops\n\n')).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR' });
  });

  it('caps text, argument size and the number of calls', async () => {
    await expect(turn(sse({ delta: { content: 'x'.repeat(60) } }, { delta: { content: 'x'.repeat(60) } }), { maxTextChars: 100 })).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR' });
    await expect(turn(sse(tc({ index: 0, id: 'a', function: { name: 'a', arguments: '"' + 'y'.repeat(200) } })), { maxArgumentsChars: 100 })).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR' });
    const many = Array.from({ length: 5 }, (_, i) => tc({ id: `c${i}`, function: { name: 'a', arguments: '{}' } }));
    await expect(turn(sse(...many), { maxToolCalls: 4 })).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR' });
  });

  it('ignores whatever follows [DONE]', async () => {
    const result = await turn(sse({ delta: { content: 'a' } }) + 'data: {"error":{"message":"late"}}\n\n');
    expect(result.text).toBe('a');
  });
});
