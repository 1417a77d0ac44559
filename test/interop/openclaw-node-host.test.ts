/**
 * Stock OpenClaw node hosts (protocol 4 and protocol 3) against a Tether gateway: they wait while
 * pending, come online after one `tether devices approve` without a restart, and run commands.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult, NodeListResult } from '@tether/protocol';
import { cleanup, eventually, runTether, runTetherJson, startGatewayProcess } from '../helpers/processes.js';
import { CURRENT, LEGACY, startOpenclawNodeHost, type OpenclawVersion } from './helpers/openclaw.js';

afterAll(cleanup);

describe.each([CURRENT, LEGACY] as OpenclawVersion[])('openclaw@%s node host → tether gateway', (version) => {
  it('pairs with one approval and serves system.which and system.run', async () => {
    const gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    const gw = ['--state-dir', gateway.stateDir];
    const name = `oc-${version.replace(/\./g, '-')}`;
    const host = startOpenclawNodeHost(version, gateway.port, name);

    // It appears in `tether devices list` with its declared commands, connected but without commands.
    const request = await eventually(async () => {
      const { pending } = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw]);
      return pending.find((p) => p.displayName === name);
    }, 120_000, 500);
    expect(request.commands).toEqual(expect.arrayContaining(['system.run', 'system.which']));
    expect(request.clientId).toBe('node-host');
    const held = await eventually(async () => {
      const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', ...gw]);
      return nodes.find((n) => n.displayName === name && n.connected);
    }, 30_000, 500);
    expect(held).toMatchObject({ approvalState: 'pending-approval', commands: [], pendingRequestId: request.requestId });
    expect(host.output()).not.toMatch(/reconnect paused|waiting for operator action/);
    const refused = await runTether(['nodes', 'invoke', '--node', name, ...gw, '--command', 'system.which', '--params', '{"bins":["sh"]}']);
    // A held node is not paired yet: the CLI says so and points at the verification code, not at approval.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NOT paired');
    expect(refused.stderr).toContain('tether devices list');

    const pid = host.child.pid;
    const approve = await runTether(['devices', 'approve', request.requestId, ...gw]);
    expect(approve.code).toBe(0);
    const approvedAt = Date.now();
    const nodes = await eventually(async () => {
      const list = await runTetherJson<NodeListResult>(['nodes', 'list', ...gw]);
      return list.nodes.find((n) => n.displayName === name && n.connected && n.commands.length > 0) ? list.nodes : undefined;
    }, 10_000, 100);
    // Online at once: it never left.
    expect(Date.now() - approvedAt).toBeLessThan(2_000);
    expect(host.child.pid).toBe(pid);
    expect(host.child.exitCode).toBeNull();
    expect(nodes.find((n) => n.displayName === name)?.commands).toEqual(expect.arrayContaining(['system.run', 'system.which']));

    const which = await runTetherJson<{ payload: { bins: Record<string, string> } }>([
      'nodes', 'invoke', '--node', name, ...gw, '--command', 'system.which', '--params', '{"bins":["sh","no-such-binary-here"]}',
    ]);
    expect(Object.keys(which.payload.bins)).toEqual(['sh']);
    expect(which.payload.bins.sh).toMatch(/\/sh$/);

    const run = await runTether(['nodes', 'run', '--node', name, ...gw, '--', 'uname', '-s']);
    expect(run.stdout).toBe('Linux\n');
    expect(run.code).toBe(0);

    const failing = await runTether(['nodes', 'run', '--node', name, ...gw, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(failing).toMatchObject({ code: 3, stdout: 'out\n' });
    expect(failing.stderr).toContain('err');

    // Publications we do not serve were answered the way its client expects, so it gave up quietly.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(host.output()).not.toMatch(/runnerInventory.*(failed|error)/i);
  });
});
