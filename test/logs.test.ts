/**
 * The gateway's log end to end: a real gateway at debug level pairs a node with a setup code and one
 * with the shared token, logs a Control UI page in, rotates a device token; then no secret used in
 * any of it may appear in any file under <stateDir>/logs or in the gateway's stderr. `tether logs`
 * shows recent lines, follows new ones, filters by level, and refuses an operator without admin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUiLoginPayload, decodeSetupCode, type DeviceSetupCreateResult } from '@tether/protocol';
import { connectOperator, connectTestNode, sharedToken } from './helpers/clients.js';
import { cleanup, eventually, runTether, runTetherJson, spawnTether, tempDir, type Spawned } from './helpers/processes.js';
import { newTestKey, openRawPeer, signedConnect } from './helpers/raw-client.js';
import { redeemSetupToken } from './helpers/setup-node.js';

let gateway: Spawned & { url: string; port: number; stateDir: string };
const gw = () => ['--state-dir', gateway.stateDir];

beforeAll(async () => {
  const stateDir = tempDir('tether-logs-');
  // Debug (with one bad entry, which the gateway warns about) and a small rotation size: as many lines as the gateway writes, in several files.
  const spawned = spawnTether(['gateway', 'run', '--port', '0', '--state-dir', stateDir], { TETHER_LOG_LEVEL: 'debug,agent=loud', TETHER_LOG_MAX_BYTES: '8192', TETHER_LOG_MAX_FILES: '50' });
  const match = await spawned.waitFor(/\{"event":"listening","url":"([^"]+)","port":(\d+)/, 20_000);
  gateway = { ...spawned, url: match[1]!, port: Number(match[2]), stateDir };
}, 30_000);
afterAll(cleanup);

function everyLogText(): string {
  const dir = join(gateway.stateDir, 'logs');
  return readdirSync(dir).map((name) => readFileSync(join(dir, name), 'utf8')).join('\n');
}

describe('secrets never reach the log', () => {
  it('after pairing, a setup code, a Control UI login and a token rotation', async () => {
    const secrets: Record<string, string> = { sharedToken: sharedToken(gateway.stateDir) };

    // A setup code, redeemed by a node.
    const created = await runTetherJson<DeviceSetupCreateResult>(['devices', 'setup-code', '--commands', 'system.notify', ...gw()]);
    secrets.setupCode = created.code;
    const bootstrapToken = decodeSetupCode(created.code, { now: created.createdAtMs }).bootstrapToken!;
    secrets.bootstrapToken = bootstrapToken;
    const key = newTestKey();
    const redeemed = await redeemSetupToken(gateway.url, bootstrapToken, { key });
    expect(redeemed.response.ok, JSON.stringify(redeemed.response.error)).toBe(true);
    secrets.setupDeviceToken = redeemed.response.payload.auth.deviceToken;
    redeemed.peer.ws.close();

    // A node pairing silently with the shared token.
    const node = await connectTestNode(gateway.url, { token: secrets.sharedToken, displayName: 'token-node' });
    await node.client.close();

    // A Control UI login with a link from `tether dashboard`.
    const dashboard = await runTether(['dashboard', '--no-open', '--json', ...gw()]);
    expect(dashboard.code).toBe(0);
    const code = new URL((JSON.parse(dashboard.stdout) as { url: string }).url).hash.replace(/^#code=/, '');
    secrets.loginCode = code;
    const page = newTestKey();
    const login = await fetch(`http://127.0.0.1:${gateway.port}/ui/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, publicKey: page.publicKey, signature: page.sign(buildUiLoginPayload(page.publicKey, code)) }),
    });
    expect(login.status).toBe(200);
    secrets.uiDeviceToken = ((await login.json()) as { deviceToken: string }).deviceToken;
    // The same code again: refused, and the refusal is logged.
    await fetch(`http://127.0.0.1:${gateway.port}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, publicKey: page.publicKey, signature: page.sign(buildUiLoginPayload(page.publicKey, code)) }) });

    // A rotated device token, and a connect with a wrong one.
    const rotated = await runTetherJson<{ token: string }>(['devices', 'rotate', '--device', key.deviceId, '--role', 'node', ...gw()]);
    secrets.rotatedToken = rotated.token;
    const stale = await redeemSetupToken(gateway.url, bootstrapToken, { key, deviceToken: secrets.setupDeviceToken });
    stale.peer.ws.close();
    // A Bearer to an HTTP route with a wrong token.
    await fetch(`http://127.0.0.1:${gateway.port}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${secrets.rotatedToken}x` } });

    // A hostile peer quotes secrets in what the gateway logs about it (its display name in the pairing request).
    const quoting = await openRawPeer(gateway.url);
    quoting.send(signedConnect(newTestKey(), quoting.challenge, { displayName: `Bearer ${secrets.rotatedToken}` }));
    await quoting.nextFrame();
    await eventually(async () => (everyLogText().includes('pairing requested by') ? true : undefined));
    quoting.ws.close();

    const logs = everyLogText();
    expect(logs.split('\n').filter(Boolean).length).toBeGreaterThan(5);
    const stderr = gateway.output();
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(logs.includes(value), `${name} in <stateDir>/logs`).toBe(false);
      expect(stderr.includes(value), `${name} on the gateway's stderr`).toBe(false);
    }
    // Every line in the files is a whole JSON record.
    for (const line of logs.split('\n').filter(Boolean)) expect(JSON.parse(line)).toMatchObject({ ts: expect.any(String), level: expect.any(String), subsystem: expect.any(String), msg: expect.any(String) });
  }, 60_000);
});

describe('tether logs', () => {
  it('shows recent lines, as JSON with --json', async () => {
    const human = await runTether(['logs', '-n', '20', ...gw()]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \[[a-z/-]+\] /m);
    const json = await runTether(['logs', '--json', '-n', '5', ...gw()]);
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('msg');
  });

  it('--level warn shows warnings and errors only', async () => {
    const result = await runTether(['logs', '--json', '--level', 'warn', '-n', '1000', ...gw()]);
    expect(result.code, result.stderr).toBe(0);
    const levels = result.stdout.trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { level: string }).level);
    for (const level of levels) expect(['warn', 'error']).toContain(level);
    expect(result.stdout).toContain('TETHER_LOG_LEVEL: \\"agent=loud\\" has no valid level');
    const all = await runTether(['logs', '--json', '-n', '1000', ...gw()]);
    expect(all.stdout.trim().split('\n').length).toBeGreaterThan(levels.length);
  });

  it('--follow prints a line the gateway writes after it started', async () => {
    const follow = spawnTether(['logs', '--follow', '-n', '1', ...gw()]);
    // A connection the follower did not make: the gateway logs its admission at debug level.
    await follow.waitFor(/\[[a-z/-]+\] /, 10_000);
    const before = follow.output().length;
    const node = await connectTestNode(gateway.url, { token: sharedToken(gateway.stateDir), displayName: 'followed-node' });
    await node.client.close();
    await follow.waitFor(/followed-node/, 10_000);
    expect(follow.output().length).toBeGreaterThan(before);
  });

  it('refuses an operator without operator.admin', async () => {
    const reader = await connectOperator(gateway.url, gateway.stateDir, ['operator.read']);
    await expect(reader.request('logs.tail', { lines: 5 })).rejects.toThrow(/missing scope: operator.admin/);
    await reader.close();
  });

  it('rejects bad flags with a usage error', async () => {
    const result = await runTether(['logs', '--lines', '5000', ...gw()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--lines must be a whole number from 1 to 1000');
    const level = await runTether(['logs', '--level', 'loud', ...gw()]);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('--level must be one of');
  });
});
