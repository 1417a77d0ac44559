/**
 * What `tether agent` and `tether chat` show while a run streams: the assistant's text as it arrives and
 * one line per tool step. Pure: `AgentStreamView` turns `agent` events into chunks of text, so it is tested
 * without a gateway. Everything in an event comes from a peer (the model writes the text and picks tool
 * arguments; a node names itself): assistant text goes through `safeStreamText` (controls removed, line
 * breaks kept), every other value through `safeText`/`safeLabel`, and ids in a suggested command through
 * `shellQuote`, so a pasted line runs exactly what it shows.
 */
import { isRecord, safeLabel, safeText, shellQuote, type AgentEvent, type AgentFinal } from '@tether/protocol';
import { safeStreamText } from '../output.js';

/** The indent of a tool step's detail lines (saved files, approvals). */
const DETAIL = '       ';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function formatDuration(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return undefined;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

interface ToolStart {
  name?: string;
  node?: string;
  command?: string;
}

/** What a tool start says about itself: name, node and (for the nodes tool) the command, from data or args. */
function toolStart(data: Record<string, unknown>): ToolStart {
  const args = isRecord(data.args) ? data.args : {};
  return { name: str(data.name), node: str(data.node) ?? str(args.node), command: str(data.command) ?? str(args.command) };
}

function toolHead(tool: ToolStart): string {
  const parts = [`[tool] ${safeLabel(tool.name, 64, 'tool')}`];
  if (tool.node) parts.push(`node ${safeLabel(tool.node, 64)}`);
  if (tool.command) parts.push(safeLabel(tool.command, 96));
  return parts.join(' · ');
}

/** The line shown when a tool starts. */
export function toolStartLine(data: Record<string, unknown>): string {
  return `${toolHead(toolStart(data))} …`;
}

/** The lines shown when a tool ends: outcome and duration, then saved files and a pending approval. */
export function toolResultLines(data: Record<string, unknown>, started: ToolStart = {}): string[] {
  const tool: ToolStart = {
    name: str(data.name) ?? started.name,
    node: str(data.node) ?? started.node,
    command: str(data.command) ?? started.command,
  };
  const approvalId = str(data.pendingApprovalId);
  const duration = formatDuration(data.durationMs);
  // A call blocked before it ran ends with `{phase:'end', error}` instead of a result.
  const failed = data.isError === true || str(data.error) !== undefined;
  const summary = str(data.summary) ?? str(data.error);
  let outcome = approvalId ? 'waiting for approval' : failed ? 'failed' : 'ok';
  if (duration) outcome += ` ${duration}`;
  if (summary && (failed || !approvalId)) outcome += `: ${safeLabel(summary.replace(/\s+/g, ' '), 200)}`;
  const lines = [`${toolHead(tool)} · ${outcome}`];
  const saved = Array.isArray(data.savedTo) ? data.savedTo.filter((path): path is string => typeof path === 'string') : [];
  for (const path of saved) lines.push(`${DETAIL}saved ${safeText(path)}`);
  if (approvalId) {
    const id = shellQuote(approvalId);
    lines.push(`${DETAIL}waiting for approval ${safeText(approvalId)}: tether approvals approve ${id}`);
  }
  return lines;
}

/**
 * Turns one run's `agent` events into terminal text. Assistant events carry the cumulative text: the part
 * not shown yet is written; a text that no longer extends what was shown (a new assistant message after a
 * tool step) is written whole on a fresh line.
 */
export class AgentStreamView {
  private shown = '';
  private atLineStart = true;
  private afterTool = false;
  private streamedText = false;
  private readonly tools = new Map<string, ToolStart>();

  /** True once any assistant text was shown. */
  get streamed(): boolean {
    return this.streamedText;
  }

  event(event: Pick<AgentEvent, 'stream' | 'data'>): string {
    const data = isRecord(event.data) ? event.data : {};
    if (event.stream === 'assistant') return this.assistant(data);
    if (event.stream === 'tool') return this.tool(data);
    if (event.stream === 'lifecycle' && data.phase === 'error') {
      return this.lines([`[error] ${safeLabel(str(data.error)?.replace(/\s+/g, ' '), 500, 'the run failed')}`]);
    }
    return '';
  }

  /** Whatever must follow the stream once the run is over: the reply if none streamed, and a final line break. */
  final(final: Pick<AgentFinal, 'result'> | undefined): string {
    let out = '';
    const payloads = Array.isArray(final?.result?.payloads) ? final.result.payloads : [];
    const texts = payloads.map((payload) => (isRecord(payload) && typeof payload.text === 'string' ? payload.text : '')).filter((t) => t !== '');
    if (!this.streamedText) {
      if (texts.length > 0) out += this.text(texts.join('\n\n'));
    } else {
      // The last deltas may not have been sent as events: the final reply then extends what was shown.
      const last = texts.at(-1);
      if (last !== undefined && last.length > this.shown.length && last.startsWith(this.shown)) out += this.text(last.slice(this.shown.length));
    }
    return out + this.end();
  }

  /** A line break if the cursor is mid-line, so what follows starts on its own line. */
  end(): string {
    if (this.atLineStart) return '';
    this.atLineStart = true;
    return '\n';
  }

  private assistant(data: Record<string, unknown>): string {
    const text = typeof data.text === 'string' ? data.text : undefined;
    const delta = typeof data.delta === 'string' ? data.delta : undefined;
    let next: string;
    if (text === undefined) {
      next = delta ?? '';
      this.shown += next;
    } else if (text.startsWith(this.shown)) {
      next = text.slice(this.shown.length);
      this.shown = text;
    } else if (this.afterTool) {
      // A new assistant message after a tool step: its own paragraph.
      next = text;
      this.shown = text;
    } else {
      // The text was rewritten (not an extension): what was shown stays; only the new part is added.
      next = delta ?? '';
      this.shown = text;
    }
    if (next === '') return '';
    this.afterTool = false;
    return this.text(next);
  }

  private text(raw: string): string {
    const safe = safeStreamText(raw);
    if (safe === '') return '';
    this.streamedText = true;
    this.atLineStart = safe.endsWith('\n');
    return safe;
  }

  private tool(data: Record<string, unknown>): string {
    const id = str(data.toolCallId) ?? '';
    if (data.phase === 'start') {
      const start = toolStart(data);
      if (id && this.tools.size < 10_000) this.tools.set(id, start);
      return this.lines([toolStartLine(data)]);
    }
    if (data.phase === 'result' || data.phase === 'end') {
      const started = this.tools.get(id);
      this.tools.delete(id);
      return this.lines(toolResultLines(data, started));
    }
    return '';
  }

  private lines(lines: string[]): string {
    const prefix = this.end();
    this.afterTool = true;
    // Each line is escaped by its renderer; safeText again keeps any future caller honest.
    return `${prefix}${lines.map(safeText).join('\n')}\n`;
  }
}
