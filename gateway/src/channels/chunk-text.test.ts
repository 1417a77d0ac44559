import { describe, expect, it } from 'vitest';
import { chunkText } from './chunk-text.js';

const fencesBalanced = (chunk: string) => (chunk.match(/^\s*```/gm) ?? []).length % 2 === 0;

describe('chunkText', () => {
  it('leaves a short reply whole', () => {
    expect(chunkText('hello', 2000)).toEqual(['hello']);
  });

  it('cuts at paragraph, then line, then word boundaries, every chunk within the limit', () => {
    const text = Array.from({ length: 60 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(20).trim()}`).join('\n\n');
    const chunks = chunkText(text, 500);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(500);
    expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
  });

  it('never leaves a code block open across a cut: it closes and reopens the fence, language kept', () => {
    const code = Array.from({ length: 120 }, (_, i) => `line_${i} = compute(${i})`).join('\n');
    const text = `Here is the script:\n\n\`\`\`python\n${code}\n\`\`\`\n\nThat is all.`;
    const chunks = chunkText(text, 400);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(400);
      expect(fencesBalanced(chunk)).toBe(true);
    }
    expect(chunks.slice(1, -1).every((chunk) => chunk.startsWith('```python'))).toBe(true);
    const lines = chunks.join('\n').split('\n').filter((line) => line.startsWith('line_'));
    expect(lines).toEqual(code.split('\n'));
  });

  it('cuts a single word longer than the limit hard, losing nothing', () => {
    const word = 'x'.repeat(1000);
    const chunks = chunkText(word, 300);
    expect(chunks.every((chunk) => chunk.length <= 300)).toBe(true);
    expect(chunks.join('')).toBe(word);
  });
});
