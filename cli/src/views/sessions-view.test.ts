import { describe, expect, it } from 'vitest';
import { hasUnsafeChars } from '@tether/protocol';
import { chatHelpLines, historyView, resetView, sessionsListView } from './sessions-view.js';

const NOW = 1_000_000_000;

describe('sessionsListView', () => {
  it('shows key, session, updated and last run, newest first, marking the main session', () => {
    const lines = sessionsListView(
      {
        ts: NOW,
        count: 2,
        defaults: { mainSessionKey: 'agent:main:main' },
        sessions: [
          { key: 'agent:main:work', sessionId: 's2', createdAt: 0, updatedAt: NOW - 7_200_000 },
          { key: 'agent:main:main', sessionId: 'abcdef0123456789', createdAt: 0, updatedAt: NOW - 30_000, lastRun: { runId: 'r', status: 'ok', startedAt: NOW - 40_000, endedAt: NOW - 30_000 } },
        ],
      },
      NOW,
    );
    expect(lines).toEqual([
      'KEY                     SESSION       UPDATED  LAST RUN',
      'agent:main:main (main)  abcdef012345  30s ago  ok 30s ago',
      'agent:main:work         s2            2h ago   -',
    ]);
  });

  it('says how to start when there are none', () => {
    expect(sessionsListView({ ts: 0, count: 0, sessions: [] })[0]).toContain('tether chat');
  });

  it('escapes hostile keys and statuses, and survives malformed rows', () => {
    const lines = sessionsListView(
      { ts: 0, count: 1, sessions: [{ key: 'agent:x\r\x1b[2K\nforged', sessionId: '\u202e', createdAt: 0, updatedAt: 0, lastRun: { runId: 'r', status: 'ok\x1b[8m', startedAt: 0 } }, null as never] },
      NOW,
    );
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[1]).toContain('agent:x\\x0d\\x1b[2K\\x0aforged');
  });
});

describe('historyView', () => {
  it('renders roles, text lines, tool calls and images', () => {
    const lines = historyView({
      sessionKey: 'agent:main:main',
      sessionId: 's1',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'snap the kitchen' }], timestamp: 0 },
        { role: 'assistant', content: [{ type: 'text', text: 'On it.\nOne moment.' }, { type: 'toolCall', name: 'nodes', arguments: { command: 'camera.snap' } }], timestamp: 1000 },
        { role: 'toolResult', toolName: 'nodes', content: [{ type: 'image', mimeType: 'image/jpeg', data: 'AAAA' }], timestamp: 2000 } as never,
      ],
    });
    expect(lines).toEqual([
      'Session agent:main:main (s1): 3 messages',
      '',
      '[1970-01-01 00:00:00] you:',
      '  snap the kitchen',
      '',
      '[1970-01-01 00:00:01] agent:',
      '  On it.',
      '  One moment.',
      '  [tool call] nodes {"command":"camera.snap"}',
      '',
      '[1970-01-01 00:00:02] tool result (nodes):',
      '  [image image/jpeg]',
    ]);
  });

  it('keeps hostile transcript text inert, one output line per transcript line', () => {
    const lines = historyView({
      sessionKey: 'k\x1b[2J',
      sessionId: 's',
      messages: [{ role: 'assistant', content: [{ type: 'text', text: 'fine\r\x1b[2Kforged\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\\r\nnext' }, { type: 'toolCall', name: 'no\x1b[8mdes', arguments: { a: '\x1b[2J' } }], timestamp: 0 }],
    });
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines).toContain('  fine\\x0d\\x1b[2Kforged\\x1b]8;;http://evil\\x1b\\x\\x1b]8;;\\x1b\\');
    expect(lines).toContain('  next');
    expect(lines[0]).toContain('k\\x1b[2J');
  });

  it('caps a very long block and survives malformed messages', () => {
    const lines = historyView({ sessionKey: 'k', sessionId: 's', messages: [{ role: 'assistant', content: [{ type: 'text', text: 'x\n'.repeat(100) }], timestamp: 0 }, 7 as never] });
    expect(lines.at(-1)).toBe('  … (61 more lines)');
    expect(lines[0]).toBe('Session k (s): 1 message');
  });
});

describe('resetView and chatHelpLines', () => {
  it('escape the session key and id', () => {
    expect(resetView({ ok: true, key: 'k', sessionId: 'new\x1b' }, 'agent:\x1b[2J')).toEqual(['Session agent:\\x1b[2J reset (new session new\\x1b).']);
    expect(hasUnsafeChars(chatHelpLines('a\rb')[0]!)).toBe(false);
  });
});
