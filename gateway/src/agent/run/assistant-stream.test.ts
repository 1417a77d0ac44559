import { describe, expect, it } from 'vitest';
import { AssistantStream } from './assistant-stream.js';

describe('AssistantStream', () => {
  it('sends the first piece at once, then at most one event per interval, and loses nothing', () => {
    let now = 0;
    const events: { text: string; delta: string }[] = [];
    const stream = new AssistantStream((data) => events.push(data), 50, () => now);
    stream.append('H');
    expect(events).toEqual([{ text: 'H', delta: 'H' }]);
    // A hostile model streams 10,000 one-character chunks within 10 ms.
    for (let i = 0; i < 10_000; i++) {
      stream.append('x');
      if (i % 1_000 === 0) now += 1;
    }
    expect(events).toHaveLength(1);
    stream.flush();
    expect(events).toHaveLength(2);
    expect(events[1]!.text).toBe(`H${'x'.repeat(10_000)}`);
    expect(events.map((e) => e.delta).join('')).toBe(events[1]!.text);
    now += 100;
    stream.append('!');
    expect(events.at(-1)).toEqual({ text: `H${'x'.repeat(10_000)}!`, delta: '!' });
  });
});
