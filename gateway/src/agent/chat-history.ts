/**
 * A transcript as chat clients show it (OpenClaw's `chat.history` messages: a role and content
 * blocks). Media appear as the files they were saved to, never as base64; the gateway's own carriers
 * of tool images are left out, their images already listed on the tool result.
 */
import { isRecord, type ChatHistoryMessage } from '@tether/protocol';
import type { TranscriptEntry } from './sessions/transcript.js';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('\n');
}

/**
 * `withTools: false` (a reader without operator.write) leaves out the tool steps: their arguments and
 * results (program output, saved files) go live only to the run's own connection, and the history
 * must not hand them to every reader instead.
 */
export function chatHistoryMessages(entries: readonly TranscriptEntry[], limit: number, options: { withTools: boolean }): ChatHistoryMessage[] {
  const messages: ChatHistoryMessage[] = [];
  for (const entry of entries) {
    if (entry.type !== 'message' || entry.synthetic) continue;
    const timestamp = entry.ts;
    if (entry.role === 'user') messages.push({ role: 'user', content: [{ type: 'text', text: textOf(entry.content) }], timestamp });
    else if (entry.role === 'assistant') {
      const calls = Array.isArray(entry.toolCalls) ? entry.toolCalls.filter(isRecord) : [];
      const content: Record<string, unknown>[] = [];
      const text = textOf(entry.content);
      if (text) content.push({ type: 'text', text });
      for (const call of options.withTools ? calls : []) {
        const fn = isRecord(call.function) ? call.function : {};
        content.push({ type: 'toolCall', id: call.id, name: fn.name, arguments: fn.arguments });
      }
      if (content.length > 0) messages.push({ role: 'assistant', content, timestamp });
    } else if (entry.role === 'tool' && options.withTools) {
      const content: Record<string, unknown>[] = [{ type: 'text', text: textOf(entry.content) }];
      for (const media of entry.media ?? []) content.push({ type: media.mimeType.startsWith('image/') ? 'image' : 'file', path: media.path, mimeType: media.mimeType, bytes: media.bytes });
      messages.push({
        role: 'toolResult',
        content,
        timestamp,
        ...(entry.toolCallId ? { toolCallId: entry.toolCallId } : {}),
        ...(entry.name ? { toolName: entry.name } : {}),
        ...(entry.node ? { node: entry.node } : {}),
        isError: entry.isError === true,
      });
    }
  }
  return messages.slice(-limit);
}
