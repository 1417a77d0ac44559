import { describe, expect, it, vi } from 'vitest';
import { AgentEventRelay } from './chat-events.js';
import type { AgentStreamEvent } from './service-types.js';

function relay() {
  const sent: { event: string; payload: any; audience: unknown }[] = [];
  const broadcaster = { broadcast: (event: string, payload: unknown, audience: unknown) => sent.push({ event, payload, audience }) };
  return { sent, relay: new AgentEventRelay(broadcaster as never, 150) };
}

let seq = 0;
const ev = (stream: AgentStreamEvent['stream'], data: Record<string, unknown>): AgentStreamEvent => ({ runId: 'r', seq: ++seq, stream, ts: 1, sessionKey: 'agent:main:main', data });

describe('AgentEventRelay', () => {
  it('throttles chat deltas, flushes before a tool step, ends with one final', () => {
    vi.useFakeTimers();
    const { sent, relay: r } = relay();
    r.handle(ev('lifecycle', { phase: 'start' }));
    r.handle(ev('assistant', { text: 'He', delta: 'He' }));
    r.handle(ev('assistant', { text: 'Hello', delta: 'llo' }));
    expect(sent.filter((s) => s.event === 'chat')).toHaveLength(0);
    vi.advanceTimersByTime(150);
    r.handle(ev('assistant', { text: 'Hello, I', delta: ', I' }));
    r.handle(ev('tool', { phase: 'start', name: 'camera_snap' }));
    r.handle(ev('lifecycle', { phase: 'end' }));
    vi.useRealTimers();
    const chat = sent.filter((s) => s.event === 'chat').map((s) => s.payload);
    expect(chat.map((c) => [c.state, c.deltaText ?? c.message.content[0].text])).toEqual([
      ['delta', 'Hello'],
      ['delta', ', I'],
      ['final', 'Hello, I'],
    ]);
    expect(chat.map((c) => c.seq)).toEqual([1, 2, 3]);
    // Tool steps are never broadcast; the rest goes to readers only.
    expect(sent.filter((s) => s.event === 'agent').every((s) => s.payload.stream !== 'tool')).toBe(true);
    expect(sent.every((s) => JSON.stringify(s.audience) === JSON.stringify({ scope: 'operator.read' }))).toBe(true);
  });

  it('an aborted run ends with aborted, a failed one with error', () => {
    const { sent, relay: r } = relay();
    r.handle({ ...ev('lifecycle', { phase: 'end', aborted: true, stopReason: 'timeout' }), runId: 'a' });
    r.handle({ ...ev('lifecycle', { phase: 'error', error: 'model down' }), runId: 'b' });
    const chat = sent.filter((s) => s.event === 'chat').map((s) => s.payload);
    expect(chat).toMatchObject([
      { runId: 'a', state: 'aborted', stopReason: 'timeout' },
      { runId: 'b', state: 'error', errorMessage: 'model down' },
    ]);
  });
});
