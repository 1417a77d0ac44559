/** OpenClaw's own CLI against a Tether gateway: nodes list/describe/invoke, devices list/approve. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult } from '@tether/protocol';
import { cleanup, eventually, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { sharedToken } from '../helpers/clients.js';
import { CURRENT, openclawHome, runOpenclaw, type OpenclawHome } from './helpers/openclaw.js';

let gateway: GatewayProcess;
let home: OpenclawHome;
let auth: string[];

beforeAll(async () => {
  gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
  home = openclawHome(CURRENT);
  auth = ['--url', gateway.url, '--token', sharedToken(gateway.stateDir)];
  // One approved Tether node to list and invoke.
  const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', tempDir(), '--display-name', 'tether-box']);
  const printed = await node.waitFor(/tether devices approve (\S+)/);
  const approved = await runOpenclaw(CURRENT, home, ['devices', 'approve', printed[1]!, ...auth]);
  expect(approved.code).toBe(0);
  expect(`${approved.stdout}${approved.stderr}`).toMatch(/Approved [0-9a-f]{64}/);
  await node.waitFor(/connected to/);
});
afterAll(cleanup);

async function openclawJson<T>(args: string[]): Promise<T> {
  const result = await runOpenclaw(CURRENT, home, [...args, ...auth, '--json']);
  if (result.code !== 0) throw new Error(`openclaw ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

describe('openclaw@2026.9.6 CLI → tether gateway', () => {
  it('nodes list shows the paired node', async () => {
    const list = await openclawJson<{ pending: unknown[]; paired: { nodeId: string; displayName?: string }[] }>(['nodes', 'list']);
    expect(list.paired.map((n) => n.displayName)).toContain('tether-box');
    const table = await runOpenclaw(CURRENT, home, ['nodes', 'list', ...auth]);
    expect(table.stdout).toContain('Paired: 1');
    expect(table.stdout).toContain('tether-box');
  });

  it('nodes describe prints its commands', async () => {
    const result = await runOpenclaw(CURRENT, home, ['nodes', 'describe', '--node', 'tether-box', ...auth]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('system.which');
    expect(result.stdout).toContain('system.run');
    expect(result.stdout).toMatch(/connected/);
  });

  it('nodes invoke system.which returns the path', async () => {
    const result = await openclawJson<{ ok: boolean; payload: { bins: Record<string, string> } }>([
      'nodes', 'invoke', '--node', 'tether-box', '--command', 'system.which', '--params', '{"bins":["sh"]}',
    ]);
    expect(result.ok).toBe(true);
    expect(result.payload.bins.sh).toMatch(/\/sh$/);
  });

  it('devices list shows a pending request, and devices approve admits it', async () => {
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', tempDir(), '--display-name', 'second-box']);
    const printed = await node.waitFor(/request id:\s+(\S+)/);
    const listed = await openclawJson<DevicePairListResult>(['devices', 'list']);
    expect(listed.pending.map((p) => p.requestId)).toContain(printed[1]);
    const table = await runOpenclaw(CURRENT, home, ['devices', 'list', ...auth]);
    expect(table.stdout).toContain(printed[1]!);
    expect(table.stdout).toContain('second-box');

    const approved = await runOpenclaw(CURRENT, home, ['devices', 'approve', printed[1]!, ...auth]);
    expect(approved.code).toBe(0);
    await node.waitFor(/connected to .* as second-box/, 5_000);
    const after = await eventually(async () => {
      const { paired } = await runTetherJson<DevicePairListResult>(['devices', 'list', '--state-dir', gateway.stateDir]);
      return paired.find((d) => d.displayName === 'second-box' && d.connected);
    });
    expect(after.roles).toEqual(['node']);
  });
});
