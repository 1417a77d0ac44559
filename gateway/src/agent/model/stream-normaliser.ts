/**
 * Chat Completions stream chunks → one ModelTurn, trusting nothing the server sends about `index`,
 * `id` or `finish_reason` (agent-and-models.md §4.4): Ollama sends calls without `index` or all at
 * index 0, some models send no `id`, OpenClaw-style servers send no finish_reason, and llama.cpp,
 * vLLM and OpenAI put errors inside a 200 stream. Arguments are text until the stream ends, and a
 * bad JSON is a `parseError` for the loop to hand back to the model, never a throw.
 */
import { isRecord } from '@tether/protocol';
import type { SseEvent } from './sse.js';
import { ModelError, type FinishReason, type ModelTurn, type ModelUsage, type ParsedToolCall } from './types.js';

export interface NormaliserLimits {
  /** Total assistant text accepted in one turn, in characters. */
  maxTextChars?: number;
  /** Total tool-call argument text accepted in one turn (all calls), in characters. */
  maxArgumentsChars?: number;
  maxToolCalls?: number;
}

export const DEFAULT_NORMALISER_LIMITS: Required<NormaliserLimits> = { maxTextChars: 1_000_000, maxArgumentsChars: 1_000_000, maxToolCalls: 64 };

export interface NormaliserOptions {
  onText?: (delta: string) => void;
  limits?: NormaliserLimits;
}

/** An error thrown by the caller's `onText`: theirs, to be rethrown as is, not reported as a broken stream. */
export class CallbackError extends Error {
  constructor(override readonly cause: unknown) {
    super('onText threw');
    this.name = 'CallbackError';
  }
}

interface Slot {
  id?: string;
  name: string;
  args: string;
}

const FINISH_REASONS: Record<string, FinishReason> = {
  stop: 'stop',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls', // the pre-tools spelling, still sent by some servers
  length: 'length',
  content_filter: 'content_filter',
};

export class StreamNormaliser {
  private text = '';
  private argsTotal = 0;
  private readonly slots: Slot[] = [];
  private readonly byIndex = new Map<number, Slot>();
  private finish: string | undefined;
  private usage: ModelUsage | undefined;
  private done = false;
  private readonly limits: Required<NormaliserLimits>;

  constructor(private readonly options: NormaliserOptions = {}) {
    this.limits = { ...DEFAULT_NORMALISER_LIMITS, ...options.limits };
  }

  /** True once `[DONE]` arrived; later events are ignored. */
  get finished(): boolean {
    return this.done;
  }

  /** Whether the stream ended the way a complete turn ends: `[DONE]`, or at least a finish_reason. */
  get complete(): boolean {
    return this.done || this.finish !== undefined;
  }

  /** One SSE event; throws ModelError for an error the server put in the stream. */
  pushEvent(event: SseEvent): void {
    if (this.done) return;
    if (event.error !== undefined) throw streamError(parseMaybe(event.error) ?? event.error);
    const data = event.data.trim();
    if (data === '') return;
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      throw new ModelError('MODEL_STREAM_ERROR', `the model server sent a stream event that is not JSON: ${clip(data)}`);
    }
    this.pushChunk(chunk);
  }

  /** One parsed chunk (`chat.completion.chunk`, an error object, or a usage-only chunk). */
  pushChunk(chunk: unknown): void {
    if (!isRecord(chunk)) throw new ModelError('MODEL_STREAM_ERROR', `the model server sent a stream chunk that is not an object: ${clip(JSON.stringify(chunk))}`);
    if (chunk.error !== undefined && chunk.error !== null) throw streamError(chunk.error);
    if (chunk.object === 'error') throw streamError(chunk); // vLLM's old shape, should it ever arrive in a stream
    const usage = readUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    // We ask for one choice; a server that sends several anyway is read for choice 0 only.
    const choice = choices.find((c) => isRecord(c) && (c.index === 0 || c.index === undefined));
    if (!isRecord(choice)) return;
    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') this.finish = choice.finish_reason;
    const delta = isRecord(choice.delta) ? choice.delta : isRecord(choice.message) ? choice.message : undefined;
    if (!delta) return;
    if (typeof delta.content === 'string' && delta.content !== '') this.addText(delta.content);
    // A refusal is what the model said instead of an answer; the user should see it as the answer.
    if (typeof delta.refusal === 'string' && delta.refusal !== '') this.addText(delta.refusal);
    if (Array.isArray(delta.tool_calls)) for (const item of delta.tool_calls) if (isRecord(item)) this.addToolDelta(item);
  }

  /** The whole turn. Tool calls present means "call tools", whatever finish_reason said. */
  result(): ModelTurn {
    const toolCalls = this.slots.filter((slot) => slot.name !== '' || slot.args !== '').map((slot, n) => parseCall(slot, n));
    const raw = this.finish === undefined ? 'unknown' : (FINISH_REASONS[this.finish] ?? 'unknown');
    // `length` is kept: the arguments were probably cut off, which the loop should know.
    const finishReason: FinishReason = toolCalls.length > 0 && raw !== 'length' ? 'tool_calls' : raw;
    const turn: ModelTurn = { text: this.text, toolCalls, finishReason };
    if (this.usage) turn.usage = this.usage;
    return turn;
  }

  private addText(delta: string): void {
    if (this.text.length + delta.length > this.limits.maxTextChars) {
      throw new ModelError('MODEL_STREAM_ERROR', `the model's reply passed ${this.limits.maxTextChars} characters; stopped reading it`);
    }
    this.text += delta;
    try {
      this.options.onText?.(delta);
    } catch (error) {
      throw new CallbackError(error);
    }
  }

  private addToolDelta(item: Record<string, unknown>): void {
    const fn = isRecord(item.function) ? item.function : {};
    const id = typeof item.id === 'string' && item.id !== '' ? item.id : undefined;
    const name = typeof fn.name === 'string' ? fn.name : '';
    // Some servers send arguments as an object rather than JSON text.
    const args = typeof fn.arguments === 'string' ? fn.arguments : fn.arguments !== undefined && fn.arguments !== null ? JSON.stringify(fn.arguments) : '';
    const slot = this.slotFor(typeof item.index === 'number' ? item.index : undefined, id, name, args);
    if (id !== undefined && slot.id === undefined) slot.id = id;
    if (name !== '' && slot.name === '') slot.name = name;
    if (args !== '') {
      this.argsTotal += args.length;
      if (this.argsTotal > this.limits.maxArgumentsChars) {
        throw new ModelError('MODEL_STREAM_ERROR', `the model's tool-call arguments passed ${this.limits.maxArgumentsChars} characters; stopped reading them`);
      }
      slot.args += args;
    }
  }

  /**
   * Which call a delta belongs to. By `index` when the server sends one and it still names the same
   * call; a missing index, or an index reused with another id, opens a new call. An index reused
   * with no id to tell calls apart (Ollama's "everything is index 0") opens a new call when the
   * delta names a tool and the call at that index already has complete JSON arguments: a real
   * continuation only ever adds arguments to an unfinished call.
   */
  private slotFor(index: number | undefined, id: string | undefined, name: string, args: string): Slot {
    if (index !== undefined) {
      const existing = this.byIndex.get(index);
      if (existing && !startsAnotherCall(existing, id, name, args)) return existing;
      const slot = this.open();
      this.byIndex.set(index, slot);
      return slot;
    }
    if (id !== undefined) {
      const same = this.slots.find((slot) => slot.id === id);
      if (same) return same;
      return this.open();
    }
    // No index and no id: a bare arguments fragment continues the last call; anything naming a tool is a new one.
    const last = this.slots.at(-1);
    if (last && name === '' && !argumentsComplete(last.args)) return last;
    return this.open();
  }

  private open(): Slot {
    if (this.slots.length >= this.limits.maxToolCalls) {
      throw new ModelError('MODEL_STREAM_ERROR', `the model asked for more than ${this.limits.maxToolCalls} tool calls in one turn; stopped reading`);
    }
    const slot: Slot = { name: '', args: '' };
    this.slots.push(slot);
    return slot;
  }
}

function startsAnotherCall(existing: Slot, id: string | undefined, name: string, args: string): boolean {
  if (id !== undefined && existing.id !== undefined) return id !== existing.id;
  if (name === '' || existing.name === '') return false;
  // Same name again with nothing new: a server repeating the name on every fragment.
  if (name === existing.name && args === '') return false;
  return argumentsComplete(existing.args);
}

function argumentsComplete(args: string): boolean {
  if (args.trim() === '') return false;
  try {
    JSON.parse(args);
    return true;
  } catch {
    return false;
  }
}

function parseCall(slot: Slot, n: number): ParsedToolCall {
  const call: ParsedToolCall = { id: slot.id ?? `call_${n}`, name: slot.name, argumentsText: slot.args };
  if (slot.name === '') call.parseError = 'the tool call has no tool name';
  const text = slot.args.trim();
  if (text === '') {
    // Parameterless tools often arrive with no arguments at all (vllm-project/vllm#28806).
    if (!call.parseError) call.arguments = {};
    return call;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
    // Some models double-encode: a JSON string holding the JSON object.
    if (typeof value === 'string') value = JSON.parse(value);
  } catch (error) {
    call.parseError ??= `the arguments are not valid JSON (${(error as Error).message}): ${clip(text)}`;
    return call;
  }
  if (!isRecord(value)) {
    call.parseError ??= `the arguments must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
    return call;
  }
  if (!call.parseError) call.arguments = value;
  return call;
}

function readUsage(value: unknown): ModelUsage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = value.prompt_tokens;
  const completion = value.completion_tokens;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  const total = typeof value.total_tokens === 'number' ? value.total_tokens : prompt + completion;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: total };
}

/** What an error the server put in the stream means; `error` is the `error` member, or a whole vLLM-style object. */
export function streamError(error: unknown): ModelError {
  const message = providerMessage(error) ?? 'the model server reported an error in the stream';
  const code = isRecord(error) ? error.code : undefined;
  const status = typeof code === 'number' ? code : undefined;
  const contextual = isContextLengthMessage(message) || code === 'context_length_exceeded' || (isRecord(error) && error.type === 'exceed_context_size_error');
  return new ModelError(contextual ? 'MODEL_CONTEXT_LENGTH' : 'MODEL_STREAM_ERROR', `the model server failed mid-stream: ${message}`, {
    providerMessage: message,
    ...(status !== undefined ? { status } : {}),
  });
}

/** The human message inside a provider error: `error.message`, a string `error`, or vLLM's old top-level `message`. */
export function providerMessage(error: unknown): string | undefined {
  if (typeof error === 'string') return error.trim() === '' ? undefined : error;
  if (!isRecord(error)) return undefined;
  if (typeof error.message === 'string' && error.message !== '') return error.message;
  if (error.error !== undefined) return providerMessage(error.error);
  return undefined;
}

export function isContextLengthMessage(message: string): boolean {
  return /context[ _-]?(length|size|window)|maximum context|exceeds? (the )?(available )?context|too many tokens|prompt is too long/i.test(message);
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
