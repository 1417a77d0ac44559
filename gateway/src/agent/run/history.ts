/**
 * The conversation so far, as model messages: the transcript's messages turned back into the Chat
 * Completions shape, repaired where a run was cut off (every tool call gets an answer, or servers
 * refuse the history), older tool results shortened, images from earlier runs named by their file
 * rather than resent, and whole old turns dropped when the rest would not fit the context window.
 */
import { isRecord } from '@tether/protocol';
import type { ChatMessage, ContentPart, WireToolCall } from '../model/types.js';
import type { TranscriptEntry } from '../sessions/transcript.js';
import { capText } from '../tools/tool-results.js';

/** A rough count (4 characters a token) that errs high: compaction must happen before the server refuses. */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    chars += 16;
    const content = message.content;
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) for (const part of content) chars += part.type === 'text' ? part.text.length : 4_000;
    if (message.role === 'assistant' && message.tool_calls) chars += JSON.stringify(message.tool_calls).length;
  }
  return Math.ceil(chars / 4);
}

const OLD_TOOL_RESULT_CAP = 2_000;

function partsToMessageContent(content: unknown): string | ContentPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content ?? '');
  const text = content
    .map((part: unknown) => {
      if (!isRecord(part)) return '';
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      if (part.type === 'image_ref' && typeof part.path === 'string') return `[image shown earlier, saved at ${part.path}]`;
      return '';
    })
    .filter(Boolean)
    .join('\n');
  return text;
}

function wireCalls(value: unknown): WireToolCall[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (call): call is WireToolCall => isRecord(call) && typeof call.id === 'string' && isRecord(call.function) && typeof call.function.name === 'string' && typeof call.function.arguments === 'string',
  );
}

/** A gateway note (assistant role, never user: its text may quote a node) or the image carrier, as a message. */
function noteMessage(entry: TranscriptEntry): ChatMessage {
  const text = entry.type === 'message' ? String(partsToMessageContent(entry.content)) : '';
  return entry.type === 'message' && entry.role === 'assistant' ? { role: 'assistant', content: text } : { role: 'user', content: text };
}

/** One element per turn: a person's message and everything that answered it. */
type Turn = ChatMessage[];

export function historyTurns(entries: readonly TranscriptEntry[]): Turn[] {
  const turns: Turn[] = [];
  let current: Turn | undefined;
  let open = new Map<string, string>();
  const deferred: TranscriptEntry[] = [];
  const closeOpenCalls = () => {
    // A run cut off between a tool call and its result: answer the call, so the history stays valid.
    for (const [id] of open) current?.push({ role: 'tool', tool_call_id: id, content: '(no result: the run ended before this call finished)' });
    open = new Map();
    for (const note of deferred.splice(0)) current?.push(noteMessage(note));
  };
  for (const entry of entries) {
    if (entry.type !== 'message') continue;
    if (entry.role === 'user' && !entry.synthetic) {
      closeOpenCalls();
      current = [];
      turns.push(current);
      current.push({ role: 'user', content: partsToMessageContent(entry.content) });
      continue;
    }
    if (!current) continue;
    if (entry.synthetic && open.size > 0) {
      // A gateway note written while another run's tool calls were open (a late exec result) waits
      // until they are answered: putting it between a call and its result would break both.
      deferred.push(entry);
      continue;
    }
    if (entry.role === 'assistant') {
      closeOpenCalls();
      const calls = wireCalls(entry.toolCalls);
      const text = typeof entry.content === 'string' ? entry.content : '';
      current.push(calls.length > 0 ? { role: 'assistant', content: text || null, tool_calls: calls } : { role: 'assistant', content: text });
      for (const call of calls) open.set(call.id, call.function.name);
    } else if (entry.role === 'tool' && typeof entry.toolCallId === 'string' && open.has(entry.toolCallId)) {
      open.delete(entry.toolCallId);
      current.push({ role: 'tool', tool_call_id: entry.toolCallId, content: capText(String(partsToMessageContent(entry.content)), OLD_TOOL_RESULT_CAP) });
      if (open.size === 0) for (const note of deferred.splice(0)) current.push(noteMessage(note));
    } else if (entry.role === 'user' || entry.role === 'system') {
      // The images-from-tools carrier comes back as the file names it showed.
      current.push({ role: 'user', content: String(partsToMessageContent(entry.content)) });
    }
  }
  closeOpenCalls();
  return turns;
}

export interface FittedHistory {
  messages: ChatMessage[];
  /** Transcript turns left out because they did not fit. */
  droppedTurns: number;
}

/** The newest turns that fit in `budgetTokens`; the newest turn is always kept. */
export function fitHistory(turns: readonly Turn[], budgetTokens: number): FittedHistory {
  const kept: Turn[] = [];
  let used = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const cost = estimateTokens(turns[i]!);
    if (kept.length > 0 && used + cost > budgetTokens) break;
    kept.unshift(turns[i]!);
    used += cost;
  }
  return { messages: kept.flat(), droppedTurns: turns.length - kept.length };
}
