import { describe, expect, it } from 'vitest';
import { hasUnsafeChars, type NodeInfo } from '@tether/protocol';
import { nodeDetailsView, nodesListView } from './nodes-view.js';

function node(id: string, name: string, state: { paired: boolean; connected: boolean }): NodeInfo {
  return { nodeId: id.padEnd(64, '0'), displayName: name, caps: [], commands: ['system.run'], approvalState: state.paired ? 'approved' : 'pending-approval', ...state };
}

describe('nodesListView', () => {
  it('marks both rows of a shared name and warns naming every id, paired or not', () => {
    const lines = nodesListView([node('3f2a9c1b07de', 'kitchen-pi', { paired: true, connected: false }), node('9b1c2d3e4f5a', 'kitchen-pi', { paired: false, connected: true })]);
    expect(lines.filter((line) => line.includes('kitchen-pi (duplicate name)'))).toHaveLength(2);
    expect(lines.find((line) => line.includes('9b1c2d3e4f5a') && !line.startsWith('warning'))).toContain('NOT PAIRED');
    const warning = lines.find((line) => line.startsWith('warning:'))!;
    expect(warning).toContain('3f2a9c1b07de (paired, offline)');
    expect(warning).toContain('9b1c2d3e4f5a (NOT paired, connected)');
    expect(warning).toContain('--node 3f2a9c1b07de');
  });

  it('has no warning when names differ', () => {
    const lines = nodesListView([node('a', 'one', { paired: true, connected: true }), node('b', 'two', { paired: true, connected: true })]);
    expect(lines.some((line) => line.startsWith('warning') || line.includes('duplicate'))).toBe(false);
  });

  it('escapes names, platforms and commands', () => {
    const hostile = { ...node('a', 'n\x1b[2J', { paired: true, connected: true }), platform: 'linux\r', commands: ['x\u202e'] };
    for (const line of nodesListView([hostile])) expect(hasUnsafeChars(line)).toBe(false);
  });
});

describe('nodeDetailsView', () => {
  it('keeps every field on its own row, escaped', () => {
    const lines = nodeDetailsView({ ...node('a', 'evil\nStatus  paired', { paired: false, connected: true }), remoteIp: '10.0.0.1\x1b[8m' });
    expect(lines).toHaveLength(9);
    expect(lines.filter((line) => line.startsWith('Status'))).toEqual(['Status    NOT paired · connected']);
    for (const line of lines) expect(hasUnsafeChars(line)).toBe(false);
  });
});
