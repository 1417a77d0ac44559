import { describe, expect, it } from 'vitest';
import type { Connection } from '../connection.js';
import { checkNodeCommand, effectiveCommands } from './policy.js';
import type { NodeSession } from './registry.js';

function session(declared: string[], approved: string[], extra: Partial<NodeSession> = {}): NodeSession {
  return {
    nodeId: 'f7904aa52c7144062527fcf18286ad47138243c6bb8dcf64ad221094477660a2',
    connection: {} as Connection,
    clientId: 'node-host',
    clientMode: 'node',
    remoteIp: '127.0.0.1',
    caps: [],
    declaredCommands: declared,
    approvedCommands: new Set(approved),
    connectedAtMs: 0,
    ...extra,
  };
}

describe('checkNodeCommand', () => {
  it.each([
    ['declared and approved', ['system.run', 'system.which'], ['system.run'], 'system.run', undefined],
    ['not declared', ['system.run'], ['system.run', 'camera.snap'], 'camera.snap', 'command not declared by node'],
    ['declared but not approved', ['system.run', 'system.which'], ['system.which'], 'system.run', 'command not approved'],
    ['nothing declared', [], [], 'system.run', 'command not declared by node'],
  ])('%s', (_name, declared, approved, command, reason) => {
    const decision = checkNodeCommand(session(declared, approved), command);
    if (reason === undefined) {
      expect(decision).toEqual({ allowed: true });
      return;
    }
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.reason).toBe(reason);
    expect(decision.message).toMatch(/^node command not allowed: /);
    expect(decision.message).toContain(`"${command}"`);
  });

  it('names the node, its platform and what it offers when a command is not declared', () => {
    const decision = checkNodeCommand(session(['system.run', 'system.which'], [], { displayName: 'kitchen-pi', platform: 'linux' }), 'camera.snap');
    expect(decision).toEqual({
      allowed: false,
      reason: 'command not declared by node',
      message: 'node command not allowed: "camera.snap" is not offered by node kitchen-pi (platform: linux); it offers: system.run, system.which',
    });
  });

  it('falls back to a short node id and says how to approve', () => {
    const decision = checkNodeCommand(session(['system.run'], []), 'system.run');
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.message).toContain('on node f7904aa52c71 was not approved');
    expect(decision.message).toContain('tether devices approve <requestId>');
  });
});

describe('effectiveCommands', () => {
  it('is declared ∩ approved, sorted', () => {
    expect(effectiveCommands(session(['system.which', 'system.run', 'camera.snap'], ['system.run', 'system.which', 'location.get']))).toEqual([
      'system.run',
      'system.which',
    ]);
  });
});
