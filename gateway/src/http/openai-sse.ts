/**
 * The `stream: true` answer of `/v1/chat/completions`: Server-Sent Events, `data: <chunk>` frames in
 * OpenAI's order — a role chunk, content deltas, ALWAYS a final chunk carrying `finish_reason`
 * (OpenClaw never sends it, which breaks openai-node's `.stream()`), a usage chunk when asked, then
 * `data: [DONE]`. A failed run ends with `data: {"error":{…}}` then `[DONE]`.
 */
import type { ServerResponse } from 'node:http';
import type { OpenAIHttpError } from './openai-request.js';

export type ChatFinishReason = 'stop' | 'length';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export class ChatCompletionSse {
  private opened = false;
  private closed = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly meta: { id: string; created: number; model: string },
    private readonly keepAliveMs = 15_000,
  ) {}

  /** Whether the client can still be written to. */
  get writable(): boolean {
    return !this.closed && !this.response.destroyed && !this.response.writableEnded;
  }

  open(headers: Record<string, string> = {}): void {
    if (this.opened) return;
    this.opened = true;
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      ...headers,
    });
    this.response.flushHeaders();
    // However the answer ends (done, or the client gone), the keep-alive timer goes with it.
    this.response.once('close', () => this.end());
    // A comment line every so often keeps proxies from cutting a long tool run; clients skip it.
    if (this.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.raw(': keep-alive\n\n'), this.keepAliveMs);
      this.keepAlive.unref();
    }
    this.chunk({ role: 'assistant', content: '' }, null);
  }

  content(text: string): void {
    if (text !== '') this.chunk({ content: text }, null);
  }

  finish(reason: ChatFinishReason): void {
    this.chunk({}, reason);
  }

  usage(usage: ChatUsage): void {
    this.data({ id: this.meta.id, object: 'chat.completion.chunk', created: this.meta.created, model: this.meta.model, choices: [], usage });
  }

  error(error: OpenAIHttpError): void {
    this.data(error.toBody());
  }

  /** `data: [DONE]` and the end of the answer. */
  done(): void {
    this.raw('data: [DONE]\n\n');
    this.end();
  }

  end(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    if (this.writable) this.response.end();
    this.closed = true;
  }

  /** Whether a keep-alive timer is still running (for tests: none once the answer is over). */
  get keepingAlive(): boolean {
    return this.keepAlive !== undefined;
  }

  private chunk(delta: Record<string, unknown>, finishReason: ChatFinishReason | null): void {
    this.data({
      id: this.meta.id,
      object: 'chat.completion.chunk',
      created: this.meta.created,
      model: this.meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  private data(value: unknown): void {
    this.raw(`data: ${JSON.stringify(value)}\n\n`);
  }

  private raw(text: string): void {
    if (this.writable) this.response.write(text);
  }
}
