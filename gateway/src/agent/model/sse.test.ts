/** The SSE parser against hand-written byte sequences, split the ways networks split them. */
import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent, type SseLimits } from './sse.js';
import { ModelError } from './types.js';

const enc = new TextEncoder();

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? enc.encode(part) : part;
}

async function all(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, limits?: SseLimits): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of parseSse(source, limits)) out.push(event);
  return out;
}

/** Every byte its own network chunk: the worst split there is. */
function byteByByte(text: string): AsyncGenerator<Uint8Array> {
  const bytes = enc.encode(text);
  return chunks(...Array.from(bytes, (b) => new Uint8Array([b])));
}

describe('parseSse', () => {
  it('frames events on LF, CRLF and CR alike', async () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const events = await all(chunks(`data: one${eol}${eol}data: two${eol}${eol}`));
      expect(events.map((e) => e.data)).toEqual(['one', 'two']);
    }
  });

  it('treats a CR at the end of one chunk and an LF at the start of the next as one line end', async () => {
    // Without the carry-over the LF reads as a blank line and splits one event into two.
    const events = await all(chunks('data: a\r', '\ndata: b\r\n\r\n'));
    expect(events).toEqual([{ data: 'a\nb' }]);
  });

  it('joins multi-line data with newlines and strips one leading space only', async () => {
    const events = await all(chunks('data: first\ndata:second\ndata:  third\n\n'));
    expect(events).toEqual([{ data: 'first\nsecond\n third' }]);
  });

  it('ignores comments (keep-alives) and events with no data; keeps event and id', async () => {
    const events = await all(chunks(': keep-alive\n\n:ping\nevent: message\nid: 7\ndata: x\nretry: 10\n\nevent: lonely\n\n'));
    expect(events).toEqual([{ event: 'message', id: '7', data: 'x' }]);
  });

  it("reports the non-standard `error:` field rather than dropping it", async () => {
    const events = await all(chunks('error: {"message":"context full"}\n\n'));
    expect(events).toEqual([{ data: '', error: '{"message":"context full"}' }]);
  });

  it('reassembles events split at every byte, multi-byte UTF-8 included', async () => {
    const events = await all(byteByByte('data: {"content":"héllo 🌍"}\r\n\r\ndata: [DONE]\r\n\r\n'));
    expect(events.map((e) => e.data)).toEqual(['{"content":"héllo 🌍"}', '[DONE]']);
  });

  it('delivers a final event that has no trailing blank line', async () => {
    expect(await all(chunks('data: a\n\ndata: [DONE]'))).toEqual([{ data: 'a' }, { data: '[DONE]' }]);
    expect(await all(chunks('data: a\n\ndata: [DONE]\n'))).toEqual([{ data: 'a' }, { data: '[DONE]' }]);
  });

  it('reads a web ReadableStream and cancels it when the reader stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(enc.encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    let seen = 0;
    for await (const event of parseSse(stream)) {
      expect(event.data).toBe('tick');
      if (++seen === 3) break;
    }
    expect(cancelled).toBe(true);
  });

  it('fails with MODEL_STREAM_ERROR on a line that never ends, having read little of it', async () => {
    // 8 MB with no line end (then a valid event): without the cap it would all be buffered and parsed.
    let sent = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const block = enc.encode('a'.repeat(1024));
      for (let i = 0; i < 8 * 1024; i += 1) {
        sent += block.length;
        yield block;
      }
      yield enc.encode('\n\ndata: [DONE]\n\n');
    }
    const error = await all(endless(), { maxLineChars: 64 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'MODEL_STREAM_ERROR' });
    expect(sent).toBeLessThan(128 * 1024);
  });

  it('fails on an oversized line that arrives whole, and on an event of many small lines', async () => {
    await expect(all(chunks(`data: ${'x'.repeat(5000)}\n\n`), { maxLineChars: 4096 })).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR' });
    async function* manyLines(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100_000; i += 1) yield enc.encode('data: 0123456789\n');
      yield enc.encode('\n');
    }
    await expect(all(manyLines(), { maxEventChars: 10_000 })).rejects.toMatchObject({ code: 'MODEL_STREAM_ERROR', message: /over 10000 characters/ });
  });
});
