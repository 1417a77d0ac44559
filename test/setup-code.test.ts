/**
 * Setup codes end to end with a real gateway: `tether devices setup-code` makes a code, a scripted node
 * redeems it (paired with the allowed commands only, no approval), and every misuse is refused with its
 * own code: another key, a guessed token, an expired code, a revoked code. The audit log has it all,
 * and codes survive a restart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayClient, decodeSetupCode, type DevicePairListResult, type DeviceSetupCreateResult, type DeviceSetupListResult } from '@tether/protocol';
import { loadOrCreateIdentity } from '@tether/pairing';
import { connectOperator } from './helpers/clients.js';
import { newTestKey } from './helpers/raw-client.js';
import { cleanup, runTether, runTetherJson, startGatewayProcess, stop, tempDir, type GatewayProcess } from './helpers/processes.js';
import { redeemSetupToken } from './helpers/setup-node.js';

afterAll(cleanup);

describe('setup codes', () => {
  let gateway: GatewayProcess;
  const gw = () => ['--state-dir', gateway.stateDir];
  const make = (args: string[] = []) => runTetherJson<DeviceSetupCreateResult>(['devices', 'setup-code', ...args, ...gw()]);
  // Decoded as of the code's making: the node side refuses an expired code itself (protocol tests); here the gateway must.
  const tokenOf = (created: DeviceSetupCreateResult) => decodeSetupCode(created.code, { now: created.createdAtMs }).bootstrapToken!;
  const key = newTestKey();
  let first: DeviceSetupCreateResult;
  let deviceToken: string;

  it('prints the code, a QR code and the command to run on the node', async () => {
    gateway = await startGatewayProcess();
    const printed = await runTether(['devices', 'setup-code', '--ttl', '5m', '--commands', 'system.notify', ...gw()]);
    expect(printed.code).toBe(0);
    const uri = printed.stdout.match(/oc-pair:\/\/([A-Za-z0-9_-]+)/);
    expect(uri).not.toBeNull();
    expect(printed.stdout).toContain(`tether node run --pair 'oc-pair://${uri![1]}'`);
    expect(printed.stdout).toMatch(/[▀▄█]{4}/); // the QR code
    const decoded = decodeSetupCode(uri![1]!);
    expect(decoded.url).toBe(gateway.url); // a loopback bind: its loopback URL
    expect(decoded.bootstrapToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decoded.expiresAtMs! - Date.now()).toBeGreaterThan(4 * 60_000);
  });

  it('pairs a node with the allowed commands it declares only, and no approval', async () => {
    first = await make(['--commands', 'system.notify,camera.snap', '--name', 'kitchen-pi']);
    expect(first).toMatchObject({ status: 'active', commands: ['camera.snap', 'system.notify'], name: 'kitchen-pi' });
    const { response, peer } = await redeemSetupToken(gateway.url, tokenOf(first), { key, commands: ['system.notify', 'system.run'] });
    expect(response.ok, JSON.stringify(response.error)).toBe(true);
    expect(response.payload.auth).toMatchObject({ role: 'node', method: 'bootstrap-token' });
    deviceToken = response.payload.auth.deviceToken;
    expect(deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    peer.ws.close();

    const list = await runTetherJson<DevicePairListResult>(['devices', 'list', ...gw()]);
    expect(list.pending).toEqual([]);
    const device = list.paired.find((d) => d.deviceId === key.deviceId)!;
    expect(device).toMatchObject({ displayName: 'kitchen-pi', approvedVia: 'bootstrap', commands: ['system.notify'] });
    expect(device.declaredCommands).toEqual(['system.notify', 'system.run']);
  });

  it('is idempotent for the same key (a reconnect before the token was stored)', async () => {
    const { response, peer } = await redeemSetupToken(gateway.url, tokenOf(first), { key, commands: ['system.notify', 'system.run'] });
    expect(response.ok, JSON.stringify(response.error)).toBe(true);
    expect(response.payload.auth.method).toBe('bootstrap-token');
    deviceToken = response.payload.auth.deviceToken;
    peer.ws.close();
  });

  it('refuses the code to another key', async () => {
    const { response, peer } = await redeemSetupToken(gateway.url, tokenOf(first), { commands: ['system.notify'] });
    expect(response.ok).toBe(false);
    expect(response.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'BOOTSTRAP_TOKEN_USED' } });
    expect(response.error.message).toContain('tether devices setup-code');
    expect((await peer.closed).code).toBe(1008);
  });

  it('refuses a guessed or garbage token', async () => {
    for (const token of ['A'.repeat(43), tokenOf(first).slice(0, -2), 'garbage']) {
      const { response } = await redeemSetupToken(gateway.url, token);
      expect(response.error?.details?.code).toBe('BOOTSTRAP_TOKEN_INVALID');
    }
  });

  it('refuses an expired code', async () => {
    const short = await make(['--ttl', '1s']);
    await new Promise((r) => setTimeout(r, 1_200));
    const { response } = await redeemSetupToken(gateway.url, tokenOf(short));
    expect(response.error?.details?.code).toBe('BOOTSTRAP_TOKEN_EXPIRED');
    expect(response.error.message).toMatch(/expired.*tether devices setup-code/);
  });

  it('refuses a revoked code', async () => {
    const code = await make();
    const revoked = await runTether(['devices', 'setup-code', 'revoke', code.id, ...gw()]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked setup code ${code.id}`);
    const { response } = await redeemSetupToken(gateway.url, tokenOf(code));
    expect(response.error?.details?.code).toBe('BOOTSTRAP_TOKEN_REVOKED');
  });

  it('refuses an operator connection with a code', async () => {
    const code = await make();
    const { response } = await redeemSetupToken(gateway.url, tokenOf(code), { role: 'operator' });
    expect(response.error?.details?.code).toBe('BOOTSTRAP_ROLE_NOT_ALLOWED');
  });

  it('GatewayClient redeems with the bootstrapToken option, then uses its device token', async () => {
    const code = await make(['--commands', 'system.notify']);
    const decoded = decodeSetupCode(code.uri);
    const identity = loadOrCreateIdentity({ dir: join(tempDir('tether-node-id-'), 'identity') });
    const tokens: string[] = [];
    const client = new GatewayClient({
      url: decoded.url,
      role: 'node',
      identity,
      bootstrapToken: decoded.bootstrapToken,
      commands: ['system.notify'],
      userAgent: 'tether-node/test',
      client: { id: 'node-host', mode: 'node', version: 'test', platform: 'linux' },
      onDeviceToken: (token) => tokens.push(token),
    });
    const hello = await client.connect();
    expect(hello.auth).toMatchObject({ method: 'bootstrap-token' });
    expect(tokens).toHaveLength(1);
    await client.close();
  });

  it('refuses a too-short ttl and a URL with userinfo when making a code', async () => {
    const operator = await connectOperator(gateway.url, gateway.stateDir, ['operator.pairing']);
    await expect(operator.request('device.setup.create', { ttlMs: 10 })).rejects.toMatchObject({ detailCode: 'INVALID_PARAMS' });
    await expect(operator.request('device.setup.create', { url: 'http://user:pw@example.com' })).rejects.toMatchObject({ detailCode: 'INVALID_PARAMS' });
    await operator.close();
  });

  it('writes every create, redemption, refusal and revocation to the audit log', () => {
    const lines = readFileSync(join(gateway.stateDir, 'pairing', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const actions = lines.map((l) => l.action);
    for (const action of ['bootstrap.created', 'bootstrap.redeemed', 'bootstrap.refused', 'bootstrap.revoked']) expect(actions).toContain(action);
    const reasons = lines.filter((l) => l.action === 'bootstrap.refused').map((l) => l.detail.reason);
    expect(new Set(reasons)).toEqual(new Set(['used', 'unknown', 'expired', 'revoked', 'role']));
    expect(lines.find((l) => l.action === 'pair.approved' && l.deviceId === key.deviceId)).toMatchObject({ approvedVia: 'bootstrap' });
    expect(readFileSync(join(gateway.stateDir, 'pairing', 'state.json'), 'utf8')).not.toContain(tokenOf(first));
  });

  it('survives a restart: codes, their bindings, and the paired node', async () => {
    const pending = await make(['--commands', 'system.notify']);
    await stop(gateway.child);
    gateway = await startGatewayProcess({ stateDir: gateway.stateDir });
    const list = await runTetherJson<DeviceSetupListResult>(['devices', 'setup-code', 'list', ...gw()]);
    expect(list.codes.find((c) => c.id === first.id)).toMatchObject({ status: 'redeemed', redeemedBy: key.deviceId });
    expect(list.codes.find((c) => c.id === pending.id)).toMatchObject({ status: 'active' });
    // Still bound to the first key, and the node's device token still works.
    expect((await redeemSetupToken(gateway.url, tokenOf(first))).response.error?.details?.code).toBe('BOOTSTRAP_TOKEN_USED');
    const back = await redeemSetupToken(gateway.url, '', { key, deviceToken, commands: ['system.notify', 'system.run'] });
    expect(back.response.ok, JSON.stringify(back.response.error)).toBe(true);
    expect(back.response.payload.auth.method).toBe('device-token');
    back.peer.ws.close();
    const fresh = await redeemSetupToken(gateway.url, tokenOf(pending), { commands: ['system.notify'] });
    expect(fresh.response.ok, JSON.stringify(fresh.response.error)).toBe(true);
    fresh.peer.ws.close();
  });
});
