/**
 * Streamed assistant text as events: the first piece goes out at once (time to first token), later
 * pieces are coalesced to at most one event per `intervalMs`. Each event carries the cumulative text
 * (OpenClaw's shape), so a model that streams one character per chunk would otherwise make every
 * event re-send, and every reader re-serialise, the whole answer: quadratic in its length.
 */
export class AssistantStream {
  private text = '';
  private sent = '';
  private lastEmitAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: (data: { text: string; delta: string }) => void,
    private readonly intervalMs = 50,
    private readonly now: () => number = Date.now,
  ) {}

  get value(): string {
    return this.text;
  }

  append(delta: string): void {
    if (delta === '') return;
    this.text += delta;
    if (this.now() - this.lastEmitAt >= this.intervalMs) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Sends what is not sent yet (before a tool step, at the end of a turn). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.text === this.sent) return;
    const delta = this.text.slice(this.sent.length);
    this.sent = this.text;
    this.lastEmitAt = this.now();
    this.emit({ text: this.text, delta });
  }
}
