import type { NodeInfo } from '@tether/protocol';
import { describe, expect, it } from 'vitest';
import { buildToolCatalogue } from './catalogue.js';

function node(id: string, displayName: string | undefined, commands: string[], extra: Partial<NodeInfo> = {}): NodeInfo {
  return { nodeId: id.padEnd(64, '0'), displayName, paired: true, connected: true, caps: [], commands, approvalState: 'approved', ...extra };
}

const kitchen = node('aaaa1111', 'kitchen', ['camera.snap', 'system.run', 'system.which']);
const garage = node('bbbb2222', 'garage', ['camera.snap', 'location.get']);

describe('buildToolCatalogue', () => {
  it('offers a tool only while a connected, paired node offers its command', () => {
    const offline = node('cccc3333', 'attic', ['screen.snapshot'], { connected: false });
    const held = node('dddd4444', 'stranger', ['screen.record'], { paired: false });
    const names = buildToolCatalogue([kitchen, garage, offline, held]).tools.map((tool) => tool.name);
    expect(names).toEqual(['camera_snap', 'location_get', 'run_command', 'list_nodes', 'describe_node']);
  });

  it('makes `node` an enum of the offering nodes, required only when there is a choice', () => {
    const { tools } = buildToolCatalogue([kitchen, garage]);
    const snap = tools.find((tool) => tool.name === 'camera_snap')!;
    expect(snap.parameters.properties.node).toMatchObject({ type: 'string', enum: ['kitchen', 'garage'] });
    expect(snap.parameters.required).toEqual(['node']);
    const run = tools.find((tool) => tool.name === 'run_command')!;
    expect(run.parameters.properties.node).toMatchObject({ enum: ['kitchen'] });
    // system.run's own required field stays required; OpenClaw's bookkeeping fields are not offered.
    expect(run.parameters.required).toEqual(['command']);
    expect(Object.keys(run.parameters.properties).sort()).toEqual(['command', 'cwd', 'node', 'timeoutMs']);
    expect(JSON.stringify(run.parameters)).not.toMatch(/"\$id"|approved|systemRunPlan/);
  });

  it('resolves a call to one node.invoke and names the node', () => {
    const catalogue = buildToolCatalogue([kitchen, garage]);
    expect(catalogue.resolve('camera_snap', { node: 'Garage', maxWidth: 640 })).toEqual({
      kind: 'invoke',
      tool: 'camera_snap',
      nodeId: garage.nodeId,
      nodeLabel: 'garage',
      command: 'camera.snap',
      params: { maxWidth: 640 },
    });
    expect(catalogue.resolve('run_command', { command: ['df', '-h'] })).toMatchObject({ kind: 'invoke', nodeId: kitchen.nodeId, command: 'system.run' });
  });

  it.each([
    ['no node when two offer it', 'camera_snap', {}, 'NODE_REQUIRED', /kitchen, garage/],
    ['an unknown node', 'camera_snap', { node: 'attic' }, 'UNKNOWN_NODE', /nodes that do: kitchen, garage/],
    ['a node that does not offer it', 'run_command', { node: 'garage', command: ['ls'] }, 'UNKNOWN_NODE', /nodes that do: kitchen/],
    ['a missing required argument', 'run_command', {}, 'INVALID_ARGUMENTS', /command/],
    ['a wrong type', 'camera_snap', { node: 'kitchen', maxWidth: 'big' }, 'INVALID_ARGUMENTS', /maxWidth/],
    ['an argument the model is not offered', 'run_command', { command: ['ls'], approved: true }, 'INVALID_ARGUMENTS', /approved/],
    ['a tool that does not exist now', 'screen_record', {}, 'UNKNOWN_TOOL', /camera_snap/],
    ['arguments that are not an object', 'camera_snap', ['kitchen'], 'INVALID_ARGUMENTS', /object/],
  ])('refuses %s with a message naming the candidates', (_name, tool, args, code, message) => {
    const resolved = buildToolCatalogue([kitchen, garage]).resolve(tool, args);
    expect(resolved).toMatchObject({ kind: 'error', code });
    expect(resolved.kind === 'error' && resolved.message).toMatch(message);
  });

  it('tells same-named nodes apart by id, and control characters in a name reach the model escaped', () => {
    const a = node('eeee5555', 'pi', ['camera.snap']);
    const b = node('ffff6666', 'PI', ['camera.snap']);
    const evil = node('99997777', 'cam\u001b[2J\u202e', ['location.get']);
    const { tools, resolve } = buildToolCatalogue([a, b, evil]);
    expect(tools.find((t) => t.name === 'camera_snap')!.parameters.properties.node).toMatchObject({ enum: ['pi-eeee5555', 'PI-ffff6666'] });
    expect(resolve('camera_snap', { node: 'pi-ffff6666' })).toMatchObject({ kind: 'invoke', nodeId: b.nodeId });
    expect(JSON.stringify(tools)).not.toMatch(/\u001b|\u202e/);
  });

  it('applies the agent policy: deny wins over allow, for nodes and commands', () => {
    const catalogue = buildToolCatalogue([kitchen, garage], { denyCommands: ['system.run'], allowNodes: ['garage', kitchen.nodeId], denyNodes: ['kitchen'] });
    expect(catalogue.tools.map((tool) => tool.name)).toEqual(['camera_snap', 'location_get', 'list_nodes', 'describe_node']);
    expect(catalogue.tools[0]!.parameters.properties.node).toMatchObject({ enum: ['garage'] });
    expect(catalogue.resolve('run_command', { command: ['ls'] })).toMatchObject({ kind: 'error', code: 'UNKNOWN_TOOL' });
  });

  it('reaches other declared commands through node_invoke, with the command as an enum', () => {
    const mac = node('12345678', 'mac', ['device.info', 'canvas.present']);
    const { tools, resolve } = buildToolCatalogue([mac]);
    const generic = tools.find((tool) => tool.name === 'node_invoke')!;
    expect(generic.parameters.properties.command).toEqual({ type: 'string', enum: ['canvas.present', 'device.info'] });
    expect(resolve('node_invoke', { command: 'device.info' })).toMatchObject({ kind: 'invoke', nodeId: mac.nodeId, command: 'device.info', params: {} });
    expect(resolve('node_invoke', { command: 'system.run' })).toMatchObject({ kind: 'error', code: 'INVALID_ARGUMENTS' });
  });
});
