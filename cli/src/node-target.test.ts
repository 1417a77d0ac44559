import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '@tether/protocol';
import { CliError } from './output.js';
import { resolveNode } from './node-target.js';

function node(id: string, name: string | undefined, state: { paired: boolean; connected: boolean; pendingRequestId?: string }): NodeInfo {
  return {
    nodeId: id.padEnd(64, '0'),
    displayName: name,
    caps: [],
    commands: [],
    approvalState: state.paired ? 'approved' : 'pending-approval',
    ...state,
  };
}

const REAL = node('3f2a9c1b07de', 'kitchen-pi', { paired: true, connected: false });
const IMPOSTOR = node('9b1c2d3e4f5a', 'kitchen-pi', { paired: false, connected: true, pendingRequestId: 'ab12cd34-0000' });
const STRANGER = node('77aa88bb99cc', 'garage-cam', { paired: false, connected: true, pendingRequestId: 'ffee0011-0000' });

function refusal(nodes: NodeInfo[], query: string): CliError {
  try {
    resolveNode(nodes, query);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`"${query}" resolved`);
}

describe('resolveNode', () => {
  it('an unpaired connected socket never shadows a paired offline node of the same name', () => {
    for (const nodes of [[REAL, IMPOSTOR], [IMPOSTOR, REAL]]) {
      const { node: picked, note } = resolveNode(nodes, 'kitchen-pi');
      expect(picked).toBe(REAL);
      expect(note).toContain('9b1c2d3e4f5a');
      expect(note).toContain('ignored');
      expect(note).not.toMatch(/approve/);
    }
  });

  it('paired nodes win for id prefixes too', () => {
    const sameStart = node('3f2a9c1b0000', 'other', { paired: false, connected: true });
    expect(resolveNode([sameStart, REAL], '3f2a').node).toBe(REAL);
  });

  it('refuses a name only unpaired devices use: NOT paired, compare the verification code, never "approve it"', () => {
    const error = refusal([REAL, STRANGER], 'garage-cam');
    expect(error.code).toBe('NODE_NOT_PAIRED');
    expect(error.message).toContain('NOT paired');
    expect(error.message).toContain('77aa88bb99cc');
    expect(error.message).toContain('verification code in `tether devices list`');
    expect(error.message).not.toContain('devices approve');
  });

  it('refuses an unpaired device even by its exact id (a command cannot run there anyway)', () => {
    expect(refusal([STRANGER], STRANGER.nodeId).code).toBe('NODE_NOT_PAIRED');
  });

  it('lets read-only callers look at an unpaired device when nothing paired matches, with a warning', () => {
    const { node: picked, note } = resolveNode([REAL, STRANGER], 'garage-cam', { includeUnpaired: true });
    expect(picked).toBe(STRANGER);
    expect(note).toContain('NOT paired');
    expect(resolveNode([REAL, IMPOSTOR], 'kitchen-pi', { includeUnpaired: true }).node).toBe(REAL);
  });

  it('between paired duplicates, the one connected node wins and the choice is noted', () => {
    const fresh = node('aaaaaaaaaaaa', 'kitchen-pi', { paired: true, connected: true });
    const { node: picked, note } = resolveNode([REAL, fresh], 'Kitchen-Pi');
    expect(picked).toBe(fresh);
    expect(note).toContain('2 paired nodes');
    expect(note).toContain('3f2a9c1b07de');
  });

  it('refuses paired duplicates it cannot tell apart, listing their ids', () => {
    const twin = node('bbbbbbbbbbbb', 'kitchen-pi', { paired: true, connected: false });
    const error = refusal([REAL, twin], 'kitchen-pi');
    expect(error.code).toBe('AMBIGUOUS_NODE');
    expect(error.message).toContain('3f2a9c1b07de');
    expect(error.message).toContain('bbbbbbbbbbbb');
  });

  it('names only paired nodes when nothing matches, escaped', () => {
    const hostile = node('cccccccccccc', 'x\x1b[2J', { paired: true, connected: true });
    const error = refusal([hostile, STRANGER], 'nope');
    expect(error.code).toBe('UNKNOWN_NODE');
    expect(error.message).toContain('x\\x1b[2J (cccccccccccc)');
    expect(error.message).not.toContain('garage-cam');
  });

  it('does not treat an empty query as a prefix of everything', () => {
    expect(refusal([REAL], '').code).toBe('UNKNOWN_NODE');
  });
});
