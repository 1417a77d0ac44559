/**
 * The gateway's recent warnings and errors, for `status` and the Control UI's Health view. Log lines
 * are written without secrets (log.ts), but a line may quote what another party sent (a node's
 * message, a model's answer), so each entry is also made safe to show here: control and bidi
 * characters escaped (safeText), anything shaped like a credential (the gateway's one redaction pass,
 * log/redact.ts, in its strict form: long hex runs go too) replaced by `[redacted]`, and capped in length. Repeats of the same line fold
 * into one entry with a count, so a flapping peer cannot push everything else out.
 */
import { safeText } from '@tether/protocol';
import { redactStrict } from '../log/redact.js';

export interface RecentError {
  atMs: number;
  /** `error` or `warn`. */
  source: 'error' | 'warn';
  message: string;
  /** How often this same message came in a row (absent: once). */
  count?: number;
}

const MAX_ENTRIES = 20;
const MAX_MESSAGE = 300;

/** `message` with credential-shaped parts replaced (log/redact.ts, strict), control characters escaped, capped. */
export function safeErrorMessage(message: string): string {
  let text = redactStrict(message);
  text = safeText(text);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

export class RecentErrors {
  private readonly entries: RecentError[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  record(source: RecentError['source'], message: string): void {
    const safe = safeErrorMessage(message);
    const last = this.entries.at(-1);
    if (last && last.source === source && last.message === safe) {
      last.count = (last.count ?? 1) + 1;
      last.atMs = this.now();
      return;
    }
    this.entries.push({ atMs: this.now(), source, message: safe });
    if (this.entries.length > MAX_ENTRIES) this.entries.shift();
  }

  /** Newest first, as copies. */
  list(): RecentError[] {
    return this.entries.map((entry) => ({ ...entry })).reverse();
  }
}
