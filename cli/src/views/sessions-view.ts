/**
 * What `tether sessions …` and `tether chat` show about agent sessions; pure, so tested without a gateway.
 * Session keys, transcript text and tool names come from peers (or from a model): table cells go
 * through `formatTable`, every other line through `safeText`, one transcript line per output line.
 */
import { isRecord, safeLabel, safeText, type ChatHistoryMessage, type SessionSummary } from '@tether/protocol';
import { ago, formatTable } from '../output.js';

export interface SessionsListResult {
  ts: number;
  count: number;
  defaults?: { mainSessionKey?: string };
  sessions: SessionSummary[];
}

export interface ChatHistoryResult {
  sessionKey: string;
  sessionId: string;
  messages: ChatHistoryMessage[];
}

export interface SessionsResetResult {
  ok: boolean;
  key: string;
  sessionId: string;
}

/** Lines of one transcript block shown at most; the rest is counted. */
const MAX_BLOCK_LINES = 40;

function lastRun(session: SessionSummary, now: number): string {
  const run = isRecord(session.lastRun) ? session.lastRun : undefined;
  if (!run) return '-';
  const when = typeof run.endedAt === 'number' ? run.endedAt : typeof run.startedAt === 'number' ? run.startedAt : undefined;
  return `${safeLabel(typeof run.status === 'string' ? run.status : undefined, 16, '?')} ${ago(when, now)}`;
}

export function sessionsListView(result: SessionsListResult, now = Date.now()): string[] {
  const updated = (s: SessionSummary) => (typeof s.updatedAt === 'number' ? s.updatedAt : 0);
  const sessions = (Array.isArray(result.sessions) ? result.sessions.filter(isRecord) : []).sort((a, b) => updated(b) - updated(a));
  if (sessions.length === 0) return ['No agent sessions yet. Start one with `tether agent -m "hello"` or `tether chat`.'];
  const main = isRecord(result.defaults) && typeof result.defaults.mainSessionKey === 'string' ? result.defaults.mainSessionKey : undefined;
  return formatTable(
    ['KEY', 'SESSION', 'UPDATED', 'LAST RUN'],
    sessions.map((s) => [
      `${safeLabel(String(s.key), 96)}${s.key === main ? ' (main)' : ''}`,
      safeLabel(typeof s.sessionId === 'string' ? s.sessionId.slice(0, 12) : undefined),
      ago(typeof s.updatedAt === 'number' ? s.updatedAt : undefined, now),
      lastRun(s, now),
    ]),
  );
}

function timestamp(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '-' : date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Multi-line text as indented, escaped lines (a CR or ESC inside a line shows as `\x0d` / `\x1b`). */
function textLines(text: string, indent: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const shown = lines.slice(0, MAX_BLOCK_LINES).map((line) => `${indent}${safeText(line)}`);
  if (lines.length > MAX_BLOCK_LINES) shown.push(`${indent}… (${lines.length - MAX_BLOCK_LINES} more lines)`);
  return shown;
}

function argsPreview(value: unknown): string {
  if (value === undefined) return '';
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    text = '[unprintable]';
  }
  return ` ${safeLabel(text, 200, '')}`;
}

function blockLines(block: Record<string, unknown>, indent: string): string[] {
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? textLines(block.text, indent) : [];
    case 'toolCall':
      return [`${indent}[tool call] ${safeLabel(typeof block.name === 'string' ? block.name : undefined, 64, 'tool')}${argsPreview(block.arguments)}`];
    case 'image':
      return [`${indent}[image${typeof block.mimeType === 'string' ? ` ${safeLabel(block.mimeType, 64)}` : ''}]`];
    default:
      return [`${indent}[${safeLabel(typeof block.type === 'string' ? block.type : undefined, 32, 'block')}]`];
  }
}

const ROLE_LABEL: Record<string, string> = { user: 'you', assistant: 'agent', toolResult: 'tool result', system: 'system' };

export function historyView(history: ChatHistoryResult): string[] {
  const messages = Array.isArray(history.messages) ? history.messages.filter(isRecord) : [];
  const head = `Session ${safeLabel(history.sessionKey, 200)} (${safeLabel(history.sessionId, 64)}): ${messages.length} message${messages.length === 1 ? '' : 's'}`;
  const lines = [head];
  for (const message of messages) {
    const role = typeof message.role === 'string' ? (ROLE_LABEL[message.role] ?? safeLabel(message.role, 32)) : '?';
    const toolName = (message as Record<string, unknown>).toolName;
    const name = message.role === 'toolResult' && typeof toolName === 'string' ? ` (${safeLabel(toolName, 64)})` : '';
    lines.push('', `[${timestamp(message.timestamp)}] ${role}${name}:`);
    const raw: unknown = message.content;
    const content: unknown[] = Array.isArray(raw) ? raw : typeof raw === 'string' ? [{ type: 'text', text: raw }] : [];
    for (const block of content) if (isRecord(block)) lines.push(...blockLines(block, '  '));
  }
  return lines;
}

export function resetView(result: SessionsResetResult, key: string): string[] {
  const sessionId = isRecord(result) && typeof result.sessionId === 'string' ? result.sessionId : undefined;
  return [`Session ${safeLabel(key, 200)} reset${sessionId ? ` (new session ${safeLabel(sessionId, 64)})` : ''}.`];
}

export function chatHelpLines(sessionKey: string): string[] {
  return [`Chatting in session ${safeLabel(sessionKey, 200)}. /reset starts it over, /exit (or Ctrl-D) quits; Ctrl-C aborts a reply.`];
}
