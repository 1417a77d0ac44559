import { describe, expect, it } from 'vitest';
import { own } from './own.js';

describe('own', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('%s is not a record', (key) => {
    const records: Record<string, { id: string }> = JSON.parse('{"a":{"id":"a"}}');
    expect(own(records, key)).toBeUndefined();
  });
  it('finds own entries, even one literally named __proto__ from JSON', () => {
    const records: Record<string, { id: string }> = JSON.parse('{"a":{"id":"a"},"__proto__":{"id":"p"}}');
    expect(own(records, 'a')).toEqual({ id: 'a' });
    expect(own(records, '__proto__')).toEqual({ id: 'p' });
    expect(own(undefined, 'a')).toBeUndefined();
  });
});
