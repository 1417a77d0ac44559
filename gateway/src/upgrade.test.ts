import { describe, expect, it } from 'vitest';
import { originRefusal } from './upgrade.js';

const allowed = ['https://console.example:8443'];

describe('originRefusal', () => {
  it.each([
    ['no origin at all (the CLI, node-agents, OpenClaw hosts)', {}, false],
    ['the allowed origin', { origin: 'https://console.example:8443' }, false],
    ['the allowed origin in other case', { origin: 'HTTPS://CONSOLE.example:8443' }, false],
    ['another origin', { origin: 'https://evil.example' }, true],
    ['the null origin', { origin: 'null' }, true],
    ['an empty origin', { origin: '' }, true],
    ['a legacy Sec-WebSocket-Origin from another page', { 'sec-websocket-origin': 'https://evil.example' }, true],
    ['an allowed Origin with a foreign legacy one beside it', { origin: 'https://console.example:8443', 'sec-websocket-origin': 'https://evil.example' }, true],
  ])('%s', (_name, headers, refused) => {
    expect(originRefusal(allowed, headers) !== undefined).toBe(refused);
  });
});
