/**
 * The owner's side of chat pairing, through the CLI and a real gateway: a stranger's code (as the
 * channel layer writes it) is listed and approved with `tether channels pairing approve`; an unknown
 * code is refused with the next step; an operator without operator.pairing can neither list nor approve.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '@tether/protocol';
import { follow } from './agent/agent-helpers.js';
import { cleanup, runTether, runTetherJson, startGatewayProcess, tempDir, type GatewayProcess } from './helpers/processes.js';

let gateway: GatewayProcess;

beforeAll(async () => {
  const stateDir = tempDir('tether-chanpair-');
  mkdirSync(join(stateDir, 'channels'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(stateDir, 'channels', 'pairing.json'),
    JSON.stringify({ version: 1, pending: [{ code: 'KX7P2QMA', channel: 'telegram', senderId: '4242', senderName: 'Ada', createdAtMs: Date.now() }], approved: {} }),
    { mode: 0o600 },
  );
  gateway = await startGatewayProcess({ stateDir });
}, 30_000);
afterAll(cleanup);

describe('tether channels pairing', () => {
  it('lists the waiting stranger and approves them by code', async () => {
    const list = await runTetherJson<{ pending: { code: string; senderId: string }[] }>(['channels', 'pairing', 'list', '--state-dir', gateway.stateDir]);
    expect(list.pending).toEqual([expect.objectContaining({ code: 'KX7P2QMA', senderId: '4242' })]);
    const approved = await runTether(['channels', 'pairing', 'approve', 'kx7p2qma', '--state-dir', gateway.stateDir]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain('Approved Ada (4242) on telegram');
    const state = JSON.parse(readFileSync(join(gateway.stateDir, 'channels', 'pairing.json'), 'utf8')) as { pending: unknown[]; approved: Record<string, string[]> };
    expect(state.pending).toEqual([]);
    expect(state.approved.telegram).toEqual(['4242']);
  });

  it('refuses an unknown code with the next step, and a reader without operator.pairing', async () => {
    const unknown = await runTether(['channels', 'pairing', 'approve', 'NOPE2345', '--state-dir', gateway.stateDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('tether channels pairing list');
    const reader = await follow(gateway, { scopes: ['operator.read', 'operator.write'] });
    for (const [method, params] of [['channels.pairing.list', {}], ['channels.pairing.approve', { code: 'KX7P2QMA' }]] as const) {
      const error = await reader.client.request(method, params).catch((e: unknown) => e);
      expect((error as GatewayError).detailCode).toBe('MISSING_SCOPE');
    }
    expect((await reader.client.request<{ channels: unknown[] }>('channels.status', {})).channels).toEqual([]);
    await reader.client.close();
  });
});
