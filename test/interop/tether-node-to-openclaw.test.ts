/**
 * Tether's node-agent against a real OpenClaw gateway: it pairs through OpenClaw's own two approvals
 * (`devices approve`, then `nodes approve`) without a restart, and answers system.which and system.run.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, eventually, runTether, spawnTether, tempDir, type Spawned } from '../helpers/processes.js';
import { CURRENT, runOpenclaw, startOpenclawGateway, type OpenclawGateway } from './helpers/openclaw.js';

let gateway: OpenclawGateway;
let node: Spawned;
let nodeId: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function openclaw(args: string[]) {
  const result = await runOpenclaw(CURRENT, gateway.home, [...args, '--url', gateway.url, '--token', gateway.token]);
  if (result.code !== 0) throw new Error(`openclaw ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  gateway = await startOpenclawGateway(await freePort());
});
afterAll(cleanup);

describe('tether node-agent → openclaw@2026.9.6 gateway', () => {
  it('pairs with devices approve + nodes approve, without a restart', async () => {
    const nodeDir = tempDir();
    expect((await runTether(['node', 'allow', 'uname', '--state-dir', nodeDir])).code).toBe(0);
    // OpenClaw gateways want their shared token from every client; pairing still applies on top.
    node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--display-name', 'tether-on-openclaw'], {
      TETHER_GATEWAY_TOKEN: gateway.token,
    });
    const printed = await node.waitFor(/device ([0-9a-f]{64})[\s\S]*request id:\s+(\S+)[\s\S]*(openclaw devices approve \S+)/, 30_000);
    nodeId = printed[1]!;
    const pid = node.child.pid;

    const approved = await openclaw(['devices', 'approve', printed[2]!]);
    expect(approved.stdout).toContain(`Approved ${nodeId}`);
    await node.waitFor(/connected to .* as tether-on-openclaw/, 10_000);

    // OpenClaw's second stage: the command surface.
    const surface = await eventually(async () => {
      const pending = JSON.parse((await openclaw(['nodes', 'pending', '--json'])).stdout) as { requestId: string; nodeId: string; commands: string[] }[];
      return pending.find((p) => p.nodeId === nodeId);
    }, 20_000, 500);
    expect(surface.commands).toEqual(expect.arrayContaining(['system.run', 'system.which']));
    await openclaw(['nodes', 'approve', surface.requestId]);
    expect(node.child.pid).toBe(pid);
    expect(node.child.exitCode).toBeNull();
  });

  it('answers system.which through openclaw nodes invoke', async () => {
    const result = await eventually(async () => {
      const out = await openclaw(['nodes', 'invoke', '--node', 'tether-on-openclaw', '--command', 'system.which', '--params', '{"bins":["sh","uname"]}', '--json']);
      return JSON.parse(out.stdout) as { ok: boolean; payload: { bins: Record<string, string> } };
    }, 20_000, 1_000);
    expect(result.ok).toBe(true);
    expect(Object.keys(result.payload.bins).sort()).toEqual(['sh', 'uname']);
  });

  it('answers system.run through node.invoke (OpenClaw injects a runId into the params)', async () => {
    const params = { nodeId, command: 'system.run', params: { command: ['uname', '-s'] }, idempotencyKey: `k-${Date.now()}`, timeoutMs: 15_000 };
    const out = await openclaw(['gateway', 'call', 'node.invoke', '--json', '--params', JSON.stringify(params)]);
    const result = JSON.parse(out.stdout) as { ok: boolean; payload: { exitCode: number; stdout: string; success: boolean } };
    expect(result.payload).toMatchObject({ exitCode: 0, stdout: 'Linux\n', success: true });

    // A program its owner did not allow is refused on the node, and OpenClaw relays the reason.
    const denied = await runOpenclaw(CURRENT, gateway.home, [
      'gateway', 'call', 'node.invoke', '--json', '--url', gateway.url, '--token', gateway.token,
      '--params', JSON.stringify({ ...params, params: { command: ['id'] }, idempotencyKey: `k-${Date.now()}-2` }),
    ]);
    expect(`${denied.stdout}${denied.stderr}`).toContain('tether node allow');
  });
});
