import { describe, expect, it } from 'vitest';
import { escapeDiscordLinks } from './discord-format.js';

describe('escapeDiscordLinks', () => {
  it('shows a masked link as written outside code, and leaves code alone', () => {
    expect(escapeDiscordLinks('Log in at [https://bank.example](https://evil.example/phish)')).toBe('Log in at \\[https://bank.example\\](https://evil.example/phish)');
    expect(escapeDiscordLinks('`[a](b)` and\n```\n[c](d)\n```\n[e](f)')).toBe('`[a](b)` and\n```\n[c](d)\n```\n\\[e\\](f)');
    expect(escapeDiscordLinks('an unclosed ```block [x](y)')).toBe('an unclosed ```block [x](y)');
  });
});
