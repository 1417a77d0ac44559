import { describe, expect, it } from 'vitest';
import type { Logger } from '../../log.js';
import { boltLoggerFor } from './slack-sdk-glue.js';

describe('boltLoggerFor', () => {
  it('lets at most one refused-signature warning a minute reach the log, counting the rest', () => {
    const lines: string[] = [];
    const log: Logger = { debug: () => {}, info: () => {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    let now = 0;
    const bolt = boltLoggerFor(log, (text) => text, () => now);
    for (let i = 0; i < 500; i++) bolt.warn('Failed to parse and verify the request data: signature mismatch');
    bolt.warn('socket closed');
    now = 61_000;
    bolt.warn('Failed to parse and verify the request data: signature mismatch');
    expect(lines).toEqual([
      'slack sdk: Failed to parse and verify the request data: signature mismatch',
      'slack sdk: socket closed',
      'slack sdk: Failed to parse and verify the request data: signature mismatch (and 499 more refused requests in the last minute)',
    ]);
  });
});
