/**
 * The core promise, end to end with real processes: a node connects, waits, is approved with one
 * `tether devices approve`, is serving within 2 s, and `tether nodes run -- uname -s` prints the kernel.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult, NodeListResult } from '@tether/protocol';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned } from './helpers/processes.js';

afterAll(cleanup);

describe('pairing a node by hand', () => {
  let gateway: GatewayProcess;
  let node: Spawned;
  let nodeDir: string;
  let requestId: string;
  const gw = () => ['--state-dir', gateway.stateDir];

  it('shows the waiting node with its request id and verification code', async () => {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    nodeDir = tempDir('tether-node-');
    node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'kitchen-pi']);
    const printed = await node.waitFor(/request id:\s+(\S+)[\s\S]*verification code:\s+(\S+)[\s\S]*tether devices approve (\S+)/);
    requestId = printed[1]!;
    expect(printed[3]).toBe(requestId);

    const list = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw()]);
    expect(list.paired).toEqual([]);
    expect(list.pending).toHaveLength(1);
    const pending = list.pending[0]!;
    expect(pending).toMatchObject({ requestId, displayName: 'kitchen-pi', role: 'node', verificationCode: printed[2] });
    expect(pending.deviceId).toMatch(/^[0-9a-f]{64}$/);
    expect(pending.commands).toEqual(expect.arrayContaining(['system.run', 'system.which']));

    // The node keeps retrying quietly: the same request id, printed once.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(node.output().match(/request id:/g)).toHaveLength(1);
    const again = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw()]);
    expect(again.pending.map((p) => p.requestId)).toEqual([requestId]);
  });

  it('is serving within 2 s of one approval', async () => {
    const approve = await runTether(['devices', 'approve', requestId.slice(0, 8), ...gw()]);
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain(`request ${requestId}`);
    const approvedAt = Date.now();
    await node.waitFor(/connected to .* as kitchen-pi/, 5_000);
    const onlineMs = Date.now() - approvedAt;
    expect(onlineMs).toBeLessThan(2_000);

    const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', ...gw()]);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ displayName: 'kitchen-pi', connected: true, paired: true, approvalState: 'approved' });
    expect(nodes[0]!.commands).toEqual(expect.arrayContaining(['system.run', 'system.which', 'system.notify']));
  });

  it('refuses a program the node owner has not allowed, and runs nothing', async () => {
    const marker = join(tempDir(), 'should-not-exist');
    const denied = await runTether(['nodes', 'run', '--node', 'kitchen-pi', ...gw(), '--', 'touch', marker]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/touch/);
    expect(denied.stderr).toContain('tether node allow');
    expect(existsSync(marker)).toBe(false);
  });

  it('runs an allowed program and mirrors its output and exit code', async () => {
    const allow = await runTether(['node', 'allow', 'uname', '--state-dir', nodeDir]);
    expect(allow.code).toBe(0);
    const run = await runTether(['nodes', 'run', '--node', 'kitchen-pi', ...gw(), '--', 'uname', '-s']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Linux\n');
    expect(run.code).toBe(0);

    const failing = await runTether(['nodes', 'run', '--node', 'kitchen-pi', ...gw(), '--', 'uname', '--no-such-flag']);
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toMatch(/unrecognized option|invalid option/);
  });

  it('answers system.which through nodes invoke', async () => {
    const which = await runTetherJson<{ ok: boolean; payload: { bins: Record<string, string> } }>([
      'nodes', 'invoke', '--node', 'kitchen-pi', ...gw(), '--command', 'system.which', '--params', '{"bins":["sh","definitely-not-a-binary"]}',
    ]);
    expect(which.ok).toBe(true);
    expect(Object.keys(which.payload.bins)).toEqual(['sh']);
  });

  it('names the command and the reason when it is not offered', async () => {
    const result = await runTether(['nodes', 'invoke', '--node', 'kitchen-pi', ...gw(), '--command', 'camera.snap']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"camera.snap" is not offered by node kitchen-pi');
    expect(result.stderr).toContain('[COMMAND_NOT_ALLOWED]');
  });

  it('rejects bad CLI usage with exit code 2 and a hint', async () => {
    const result = await runTether(['nodes', 'invoke', '--node', 'kitchen-pi', ...gw(), '--command', 'system.which', '--params', '{not json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--params must be JSON');
    const unknown = await runTether(['devices', 'frobnicate']);
    expect(unknown.code).toBe(2);
  });

  it('reports an unknown request id with the next step', async () => {
    const result = await runTether(['devices', 'approve', 'no-such-request', ...gw()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no pending request no-such-request/);
    expect(result.stderr).toContain('tether devices list');
  });

  it('keeps state across a gateway restart: the node comes back by itself, still approved', async () => {
    const port = gateway.port;
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    await node.waitFor(/not connected/, 5_000);
    gateway = await startGatewayProcess({ stateDir: gateway.stateDir, port, args: ['--no-local-auto-approve'] });
    const back = await eventually(async () => {
      const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', ...gw()]);
      return nodes.find((n) => n.connected) ? nodes : undefined;
    }, 15_000, 200);
    expect(back[0]).toMatchObject({ displayName: 'kitchen-pi', approvalState: 'approved' });
    const run = await runTether(['nodes', 'run', '--node', 'kitchen-pi', ...gw(), '--', 'uname', '-s']);
    expect(run.stdout).toBe('Linux\n');
  });
});
