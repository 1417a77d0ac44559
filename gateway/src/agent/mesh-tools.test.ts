import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '@tether/protocol';
import { agentNodes } from './mesh-tools.js';
import { buildToolCatalogue } from './tools/catalogue.js';

const node = (nodeId: string, displayName: string | undefined, commands: string[]): NodeInfo => ({
  nodeId,
  paired: true,
  connected: true,
  caps: [],
  commands,
  approvalState: 'approved',
  ...(displayName ? { displayName } : {}),
});

describe('agentNodes', () => {
  it('names nodes only by the approved name, so a node cannot rename itself past agent.denyNodes', () => {
    // Paired without a name; now it calls itself "kitchen" to look like an allowed node.
    const renamed = node('a'.repeat(64), 'kitchen', ['system.run']);
    const view = agentNodes([renamed], () => undefined);
    expect(view[0]!.displayName).toBeUndefined();
    const catalogue = buildToolCatalogue(view, { allowNodes: ['kitchen'] });
    expect(catalogue.tools.map((t) => t.name)).not.toContain('run_command');
    // And the other way round: the approved name is what the deny list matches.
    const evil = node('b'.repeat(64), 'innocent', ['system.run']);
    const denied = buildToolCatalogue(agentNodes([evil], () => 'evil'), { denyNodes: ['evil'] });
    expect(denied.tools.map((t) => t.name)).not.toContain('run_command');
  });

  it('never offers the commands that change exec approvals, whatever the policy allows', () => {
    const box = node('c'.repeat(64), 'box', ['system.execApprovals.get', 'system.execApprovals.set', 'system.which']);
    const view = agentNodes([box], () => 'box');
    expect(view[0]!.commands).toEqual(['system.which']);
    const catalogue = buildToolCatalogue(view, {});
    expect(JSON.stringify(catalogue.tools)).not.toContain('execApprovals');
  });
});
