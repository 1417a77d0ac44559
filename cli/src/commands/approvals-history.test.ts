import { describe, expect, it } from 'vitest';
import type { ExecApprovalHistoryEntry } from '@tether/protocol';
import { approvalsHistoryView } from './approvals-history.js';

const entry = (overrides: Partial<ExecApprovalHistoryEntry>): ExecApprovalHistoryEntry => ({
  id: '11111111-2222-3333-4444-555555555555',
  nodeId: 'a'.repeat(64),
  displayName: 'kitchen-pi',
  command: 'system.run',
  argv: ['touch', '/tmp/a b'],
  resolvedPath: '/usr/bin/touch',
  createdAtMs: 1_000,
  expiresAtMs: 31_000,
  decision: 'allow-once',
  reason: 'operator',
  resolvedAtMs: 2_000,
  ...overrides,
});

describe('tether approvals history', () => {
  it('shows how each ended, who answered, the node and the exact argv, with hostile strings escaped', () => {
    const lines = approvalsHistoryView(
      [
        entry({ decidedBy: 'Control UI (tether-control-ui, shared token)' }),
        entry({ decision: 'deny', reason: 'expired', argv: ['rm', '-rf', '/'] }),
        entry({ decision: 'deny', decidedBy: 'evil\u001b[2J name', displayName: 'pi\u202e', argv: ['echo', '\u001b[31m'], truncated: true }),
      ],
      62_000,
    );
    expect(lines[0]).toMatch(/^WHEN\s+OUTCOME\s+BY\s+NODE\s+COMMAND$/);
    expect(lines[1]).toMatch(/^60s ago\s+approved once\s+Control UI \(tether-control-ui, shared token\)\s+kitchen-pi\s+touch '\/tmp\/a b'$/);
    expect(lines[2]).toMatch(/expired \(denied\)\s+-\s+kitchen-pi\s+rm -rf \/$/);
    expect(lines[3]).toContain('evil\\x1b[2J name');
    expect(lines[3]).toContain('pi\\u{202e}');
    expect(lines[3]).toContain("echo $'\\x1b[31m' … (cut in the history)");
    expect(lines.join('\n')).not.toMatch(/[\u001b\u202e]/);
  });

  it('says when nothing was decided', () => {
    expect(approvalsHistoryView([])).toEqual(['No exec approval decided since the gateway started (the history is kept in its memory).']);
  });
});
