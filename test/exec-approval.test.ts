/**
 * Exec approvals end to end with real processes: a node whose policy says ask=on-miss asks the
 * gateway before running an unlisted program; `tether approvals` lists the exact argv and cwd and
 * answers. Approve --always runs it and puts the binary on the node's allowlist; deny and expiry
 * refuse it with a message naming the rule and `tether node allow`, and nothing runs. The wire
 * contract (roles, scopes, events, disconnects) is checked with scripted clients first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, GatewayError, type ExecApproval, type ExecApprovalRequestResult, type ExecApprovalResolveResult, type OperatorScope } from '@tether/protocol';
import { readExecPolicy, writeExecPolicy } from '../node-agent/src/exec-policy/policy-file.js';
import { connectTestNode, sharedToken } from './helpers/clients.js';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned, ownerTokenEnv } from './helpers/processes.js';

afterAll(cleanup);

const TOUCH = realpathSync(execFileSync('sh', ['-c', 'command -v touch'], { encoding: 'utf8' }).trim());

describe('exec approvals (ask=on-miss)', () => {
  let gateway: GatewayProcess;
  let node: Spawned;
  let nodeDir: string;
  const gw = () => ['--state-dir', gateway.stateDir];

  /** Waits until exactly one approval is pending and returns it. */
  const pendingApproval = () =>
    eventually(async () => {
      const { approvals } = await runTetherJson<{ approvals: ExecApproval[] }>(['approvals', 'list', ...gw()]);
      return approvals.length === 1 ? approvals[0] : undefined;
    });

  beforeAll(async () => {
    gateway = await startGatewayProcess();
    nodeDir = tempDir('tether-ask-node-');
    // Until `tether node policy --ask` exists this is what it writes.
    await writeExecPolicy(nodeDir, { version: 1, security: 'allowlist', ask: 'on-miss', allowlist: [] });
    node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'ask-node'], ownerTokenEnv(gateway));
    await node.waitFor(/connected to .* as ask-node/);
  });

  it('lists the exact argv and cwd; approve --always runs it and allowlists the binary', async () => {
    const workDir = tempDir('tether-ask-cwd-');
    const marker = join(workDir, 'approved file');
    const run = spawnTether(['nodes', 'run', '--node', 'ask-node', '--cwd', workDir, ...gw(), '--', 'touch', marker]);

    const approval = await pendingApproval();
    expect(approval).toMatchObject({ displayName: 'ask-node', command: 'system.run', argv: ['touch', marker], cwd: workDir, resolvedPath: TOUCH });
    expect(approval.expiresAtMs - approval.createdAtMs).toBeLessThanOrEqual(30_000);
    expect(existsSync(marker)).toBe(false); // nothing runs while it waits

    const table = await runTether(['approvals', 'list', ...gw()]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ID\s+NODE\s+COMMAND\s+CWD\s+EXPIRES IN/);
    expect(table.stdout).toContain(approval.id.slice(0, 8));
    expect(table.stdout).toContain(`touch '${marker}'`);

    const approved = await runTetherJson<ExecApprovalResolveResult>(['approvals', 'approve', approval.id.slice(0, 8), '--always', ...gw()]);
    expect(approved).toMatchObject({ id: approval.id, decision: 'allow-always', argv: ['touch', marker] });

    expect(await run.exited).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(readExecPolicy(nodeDir).allowlist).toEqual([{ path: TOUCH, name: 'touch' }]);

    // The id was spent: answering it again is refused with the hint.
    const again = await runTether(['approvals', 'deny', approval.id, ...gw()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[APPROVAL_NOT_FOUND]');
    expect(again.stderr).toContain('tether approvals list');

    // Now allowlisted: the next run does not ask.
    const direct = await runTether(['nodes', 'run', '--node', 'ask-node', ...gw(), '--', 'touch', join(workDir, 'second')]);
    expect(direct.code).toBe(0);
    expect(existsSync(join(workDir, 'second'))).toBe(true);
  });

  it('deny: nodes run exits 1 naming the rule and `tether node allow`, and nothing runs', async () => {
    const marker = join(tempDir(), 'denied');
    const run = spawnTether(['nodes', 'run', '--node', 'ask-node', ...gw(), '--', 'mkdir', marker]);
    const approval = await pendingApproval();
    expect(approval.argv).toEqual(['mkdir', marker]);

    const denied = await runTether(['approvals', 'deny', approval.id.slice(0, 6), ...gw()]);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain(`Denied mkdir ${marker} on ask-node`);

    expect(await run.exited).toBe(1);
    const mkdir = realpathSync(execFileSync('sh', ['-c', 'command -v mkdir'], { encoding: 'utf8' }).trim());
    expect(run.output()).toContain('exec denied by rule ask=on-miss: approval denied by an operator');
    expect(run.output()).toContain(`tether node allow ${mkdir}`);
    expect(existsSync(marker)).toBe(false);
    expect(readExecPolicy(nodeDir).allowlist).toEqual([{ path: TOUCH, name: 'touch' }]);
  });

  it('expiry: with no answer within the run timeout, the run is denied and the approval disappears', async () => {
    const marker = join(tempDir(), 'expired');
    const started = Date.now();
    const run = spawnTether(['nodes', 'run', '--node', 'ask-node', '--command-timeout', '2500', ...gw(), '--', 'mkdir', marker]);
    const approval = await pendingApproval();
    expect(approval.expiresAtMs - approval.createdAtMs).toBe(2_500);

    expect(await run.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.output()).toContain('exec denied by rule ask=on-miss: approval expired after 2.5 s with no answer');
    expect(run.output()).toContain('tether node allow');
    expect(existsSync(marker)).toBe(false);

    const { approvals } = await runTetherJson<{ approvals: ExecApproval[] }>(['approvals', 'list', ...gw()]);
    expect(approvals).toEqual([]);
    const late = await runTether(['approvals', 'approve', approval.id, ...gw()]);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('APPROVAL_NOT_FOUND');
  });
});

describe('exec.approval.* on the wire', () => {
  let gateway: GatewayProcess;
  const opened: GatewayClient[] = [];

  /** An operator that records its events. */
  async function operator(scopes: OperatorScope[]) {
    const events: { event: string; payload: any }[] = [];
    const client = new GatewayClient({
      url: gateway.url,
      token: sharedToken(gateway.stateDir),
      role: 'operator',
      scopes,
      client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' },
      onEvent: (event, payload) => events.push({ event, payload }),
    });
    await client.connect();
    opened.push(client);
    return { client, events, named: (name: string) => events.filter((e) => e.event === name).map((e) => e.payload) };
  }

  async function failure(promise: Promise<unknown>): Promise<GatewayError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof GatewayError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  const ask = { command: 'system.run', argv: ['touch', '/tmp/a b'], cwd: '/tmp', resolvedPath: '/usr/bin/touch', timeoutMs: 20_000 };

  beforeAll(async () => {
    gateway = await startGatewayProcess();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
  });

  it('announces to operator.approvals holders only, answers the node with the decision, and announces the end', async () => {
    const approver = await operator(['operator.approvals']);
    const admin = await operator(['operator.admin']);
    const reader = await operator(['operator.read']);
    const node = await connectTestNode(gateway.url, { commands: ['system.run'], displayName: 'wire-node', token: sharedToken(gateway.stateDir) });
    opened.push(node.client);

    const answer = node.client.request<ExecApprovalRequestResult>('exec.approval.request', ask, { timeoutMs: 25_000 });
    const requested = await eventually(async () => approver.named('exec.approval.requested')[0]);
    expect(requested).toMatchObject({ nodeId: node.identity.deviceId, displayName: 'wire-node', argv: ask.argv, cwd: '/tmp', resolvedPath: '/usr/bin/touch' });
    expect(requested.expiresAtMs - requested.createdAtMs).toBe(20_000);
    expect(await approver.client.request('exec.approval.list', {})).toEqual({ approvals: [requested] });

    const resolved = await approver.client.request<ExecApprovalResolveResult>('exec.approval.resolve', { id: requested.id, decision: 'allow-once' });
    expect(resolved).toMatchObject({ ...requested, decision: 'allow-once' });
    await expect(answer).resolves.toEqual({ id: requested.id, decision: 'allow-once', reason: 'operator', ttlMs: 20_000 });
    await eventually(async () => admin.named('exec.approval.resolved')[0]);
    expect(admin.named('exec.approval.requested')).toHaveLength(1);
    expect(approver.named('exec.approval.resolved')).toEqual([expect.objectContaining({ id: requested.id, decision: 'allow-once', reason: 'operator' })]);
    expect(reader.events.filter((e) => e.event.startsWith('exec.approval.'))).toEqual([]);
  });

  it('checks roles, scopes and params', async () => {
    const reader = await operator(['operator.read']);
    const listError = await failure(reader.client.request('exec.approval.list', {}));
    expect(listError).toMatchObject({ code: 'FORBIDDEN', message: 'missing scope: operator.approvals' });
    const roleError = await failure(reader.client.request('exec.approval.request', ask));
    expect(roleError.message).toBe('unauthorized role: operator');

    const node = await connectTestNode(gateway.url, { commands: ['system.run'], token: sharedToken(gateway.stateDir) });
    opened.push(node.client);
    expect((await failure(node.client.request('exec.approval.list', {}))).message).toBe('unauthorized role: node');
    const relative = await failure(node.client.request('exec.approval.request', { ...ask, resolvedPath: 'touch' }));
    expect(relative).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'INVALID_PARAMS' } });
    const extra = await failure(node.client.request('exec.approval.request', { ...ask, approved: true }));
    expect(extra.message).toContain('unexpected property "approved"');
  });

  it('refuses a node whose approved commands do not include system.run', async () => {
    const node = await connectTestNode(gateway.url, { commands: ['system.which'], token: sharedToken(gateway.stateDir) });
    opened.push(node.client);
    const error = await failure(node.client.request('exec.approval.request', ask));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'COMMAND_NOT_ALLOWED' } });
  });

  it("drops a node's approvals when it disconnects, and then the id is not found", async () => {
    const approver = await operator(['operator.approvals']);
    const node = await connectTestNode(gateway.url, { commands: ['system.run'], token: sharedToken(gateway.stateDir) });
    void node.client.request('exec.approval.request', ask, { timeoutMs: 25_000 }).catch(() => undefined);
    const requested = await eventually(async () => approver.named('exec.approval.requested')[0]);
    await node.client.close();
    const resolved = await eventually(async () => approver.named('exec.approval.resolved')[0], 5_000);
    expect(resolved).toMatchObject({ id: requested.id, decision: 'deny', reason: 'node-disconnected' });
    expect(await approver.client.request('exec.approval.list', {})).toEqual({ approvals: [] });
    const late = await failure(approver.client.request('exec.approval.resolve', { id: requested.id, decision: 'allow-always' }));
    expect(late).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'APPROVAL_NOT_FOUND', id: requested.id } });
    expect(late.message).toContain('tether approvals list');
  });
});
