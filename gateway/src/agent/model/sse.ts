/**
 * Server-sent events read from a byte stream, our own parser rather than the SDK's: the SDK drops
 * the old llama.cpp `error:` field silently (agent-and-models.md §3.3), and a model server is not
 * trusted to keep its lines short. Follows the WHATWG framing (CRLF, LF or CR line ends, `:`
 * comments, one optional space after the colon, multi-line `data` joined with `\n`), with two
 * departures: a last event without its blank line is still delivered (some servers close right
 * after `data: [DONE]`), and every line and event has a size cap, past which the stream fails
 * with MODEL_STREAM_ERROR instead of buffering whatever a hostile server sends.
 */
import { ModelError } from './types.js';

export interface SseEvent {
  /** The `event:` field, when the server named one. */
  event?: string;
  data: string;
  id?: string;
  /** The non-standard `error:` field (llama.cpp builds up to ~Sep 2025): an error, never to be ignored. */
  error?: string;
}

export interface SseLimits {
  /** Longest line accepted, in characters. */
  maxLineChars?: number;
  /** Largest event accepted (all its `data` and `error` lines), in characters. */
  maxEventChars?: number;
}

/** One streamed chunk is a few hundred bytes; an Ollama tool call arrives whole in one, so leave room for big arguments. */
export const DEFAULT_SSE_LIMITS: Required<SseLimits> = { maxLineChars: 1024 * 1024, maxEventChars: 2 * 1024 * 1024 };

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export async function* parseSse(source: ByteSource, limits: SseLimits = {}): AsyncGenerator<SseEvent, void, undefined> {
  const maxLine = limits.maxLineChars ?? DEFAULT_SSE_LIMITS.maxLineChars;
  const maxEvent = limits.maxEventChars ?? DEFAULT_SSE_LIMITS.maxEventChars;
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  // A chunk that ended in CR: an LF starting the next chunk belongs to the same line end.
  let skipLeadingLf = false;
  let event = new EventBuilder(maxEvent);

  function* lines(final: boolean): Generator<string> {
    let start = 0;
    if (skipLeadingLf && buffer.startsWith('\n')) start = 1;
    if (buffer.length > 0) skipLeadingLf = false;
    // Each search result is kept until passed, so a chunk of many LF-only lines is not rescanned for CR.
    let cr = -2;
    let lf = -2;
    for (;;) {
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      if (end - start > maxLine) throw tooLong(maxLine);
      yield buffer.slice(start, end);
      if (buffer[end] === '\r') {
        if (end + 1 === buffer.length) {
          skipLeadingLf = true;
          start = end + 1;
          break;
        }
        start = buffer[end + 1] === '\n' ? end + 2 : end + 1;
      } else start = end + 1;
    }
    buffer = buffer.slice(start);
    if (buffer.length > maxLine) throw tooLong(maxLine);
    if (final && buffer.length > 0) {
      const last = buffer;
      buffer = '';
      yield last;
    }
  }

  function* take(line: string): Generator<SseEvent> {
    if (line === '') {
      const done = event.build();
      event = new EventBuilder(maxEvent);
      if (done) yield done;
      return;
    }
    if (line.startsWith(':')) return; // comment, e.g. a keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    event.add(field, value);
  }

  for await (const bytes of iterate(source)) {
    buffer += decoder.decode(bytes, { stream: true });
    for (const line of lines(false)) yield* take(line);
  }
  buffer += decoder.decode();
  for (const line of lines(true)) yield* take(line);
  const last = event.build();
  if (last) yield last;
}

class EventBuilder {
  private data: string[] | undefined;
  private errorLines: string[] | undefined;
  private name: string | undefined;
  private id: string | undefined;
  private size = 0;
  constructor(private readonly max: number) {}

  add(field: string, value: string): void {
    if (field === 'data' || field === 'error') {
      this.size += value.length + 1;
      if (this.size > this.max) throw new ModelError('MODEL_STREAM_ERROR', `the model server sent a stream event over ${this.max} characters; refusing to buffer it`);
      if (field === 'data') (this.data ??= []).push(value);
      else (this.errorLines ??= []).push(value);
    } else if (field === 'event') this.name = value;
    else if (field === 'id') this.id = value;
    // `retry` and unknown fields are ignored, as the spec says.
  }

  /** The finished event, or undefined when it had neither data nor error (spec: nothing to dispatch). */
  build(): SseEvent | undefined {
    if (this.data === undefined && this.errorLines === undefined) return undefined;
    const out: SseEvent = { data: this.data?.join('\n') ?? '' };
    if (this.name !== undefined) out.event = this.name;
    if (this.id !== undefined) out.id = this.id;
    if (this.errorLines !== undefined) out.error = this.errorLines.join('\n');
    return out;
  }
}

function tooLong(max: number): ModelError {
  return new ModelError('MODEL_STREAM_ERROR', `the model server sent a stream line over ${max} characters; refusing to buffer it`);
}

/** Reads a web stream through its reader so an early exit (error, cap, abort) cancels the body. */
async function* iterate(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (!isReadableStream(source)) {
    yield* source;
    return;
  }
  const reader = source.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function isReadableStream(source: ByteSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function';
}
