/**
 * A headless Pi on another host, paired with no typing on the gateway: host A runs a gateway bound to
 * its LAN address (TLS by default there) and advertising over mDNS; host B finds it with `tether
 * gateway discover` (the fingerprint shown as unverified), then runs `tether node run --pair <code>`
 * with a code minted on A: it pins the certificate the code names, redeems the one-time token, and is
 * paired with exactly the commands the code allows, with no approval. The same code on host C is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeListResult } from '@tether/protocol';
import { cleanup, eventually, tempDir, type Spawned } from '../helpers/processes.js';
import { createLan, netnsForTests, type Host, type Lan } from './hosts.js';

const support = netnsForTests('the setup-code tests across hosts');
const PORT = 18789;

describe.skipIf(!support.ok)(`setup code across hosts (${support.ok ? support.mode : 'unavailable'})`, () => {
  let lan: Lan;
  let a: Host;
  let b: Host;
  let c: Host;
  let gatewayDir: string;
  let fingerprint: string;
  let code: string;
  let node: Spawned;

  beforeAll(async () => {
    lan = await createLan({ hosts: 3 });
    [a, b, c] = [lan.host('a'), lan.host('b'), lan.host('c')];
    gatewayDir = tempDir('tether-setup-gw-');
    writeFileSync(join(gatewayDir, 'tether.json'), JSON.stringify({ gateway: { tickIntervalMs: 1_000 }, discovery: { name: 'garage-gw' } }));
    const gateway = a.spawnTether(['gateway', 'run', '--host', a.ip, '--port', String(PORT), '--mdns', 'on', '--state-dir', gatewayDir]);
    const listening = JSON.parse((await gateway.waitFor(/\{"event":"listening".*\}/, 15_000))[0]) as { url: string; tlsFingerprint: string };
    expect(listening.url).toBe(`wss://${a.ip}:${PORT}`);
    fingerprint = listening.tlsFingerprint;
  }, 30_000);
  afterAll(async () => {
    await cleanup();
    await lan?.close();
  });

  it('host B discovers the gateway over mDNS: its LAN address, TLS, and the fingerprint as an unverified hint', async () => {
    const found = await eventually(async () => {
      const result = await b.runTether(['gateway', 'discover', '--timeout', '2s', '--json']);
      const gateways = (JSON.parse(result.stdout) as { gateways: any[] }).gateways;
      return gateways.find((g) => g.displayName === 'garage-gw' || g.name?.startsWith('garage-gw'));
    }, 20_000, 500);
    expect(found.addresses).toContain(a.ip);
    expect(found.port).toBe(PORT);
    expect(found.tls).toBe(true);
    expect(found.fingerprint).toBe(fingerprint);
    expect(found.fingerprintVerified).toBe(false);
  }, 30_000);

  it('a setup code minted on host A pairs host B at once, pinned, with only the allowed commands', async () => {
    const minted = await a.runTether(['devices', 'setup-code', '--commands', 'system.which', '--name', 'pi-b', '--json', '--state-dir', gatewayDir]);
    expect(minted.code, minted.stderr).toBe(0);
    const result = JSON.parse(minted.stdout) as { uri: string; url: string; tlsFingerprint?: string };
    expect(result.url).toBe(`wss://${a.ip}:${PORT}`);
    expect(result.tlsFingerprint).toBe(fingerprint);
    code = result.uri;

    const nodeDir = tempDir('tether-setup-node-');
    // No --url, no --trust-fingerprint, no approval: the code carries all three.
    node = b.spawnTether(['node', 'run', '--pair', code, '--state-dir', nodeDir, '--display-name', 'pi-b']);
    await node.waitFor(/connected to wss:\/\/10\.77\.0\.1:18789/, 20_000);
    const { nodes } = await a.runTetherJson<NodeListResult>(['nodes', 'list', '--state-dir', gatewayDir]);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ connected: true, remoteIp: b.ip });
    expect(nodes[0]!.commands).toEqual(['system.which']);
    expect(nodes[0]!.declaredCommands!.length).toBeGreaterThan(1);
    // And it serves across the LAN: the allowed command runs, a withheld one does not.
    const which = await a.runTether(['nodes', 'invoke', '--node', 'pi-b', '--command', 'system.which', '--params', '{"bins":["sh"]}', '--state-dir', gatewayDir]);
    expect(which.code, which.stderr).toBe(0);
    expect(which.stdout).toContain('sh');
    const run = await a.runTether(['nodes', 'run', '--node', 'pi-b', '--state-dir', gatewayDir, '--', 'uname']);
    expect(run.code).not.toBe(0);
  }, 40_000);

  it('a code whose fingerprint is not the gateway\'s is refused before anything is sent', async () => {
    const minted = await a.runTether(['devices', 'setup-code', '--commands', 'system.which', '--json', '--state-dir', gatewayDir]);
    const result = JSON.parse(minted.stdout) as { code: string };
    // The same code with another fingerprint: what a tampered QR would carry.
    const payload = JSON.parse(Buffer.from(result.code, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...payload, tlsFingerprint: 'ab'.repeat(32) })).toString('base64url');
    const refused = await c.runTether(['node', 'run', '--pair', tampered, '--state-dir', tempDir('tether-setup-node-t-')], {}, 20_000);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/PIN_MISMATCH|not the --trust-fingerprint/);
    // The token was never presented, so the genuine code is still unused and listed as such.
    const list = await a.runTetherJson<{ codes: { status: string }[] }>(['devices', 'setup-code', 'list', '--state-dir', gatewayDir]);
    expect(list.codes.filter((entry) => entry.status === 'active').length).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('the same code on host C is refused: it is single use, bound to the key that redeemed it', async () => {
    const other = c.spawnTether(['node', 'run', '--pair', code, '--state-dir', tempDir('tether-setup-node-c-'), '--display-name', 'thief']);
    const refused = await other.waitFor(/BOOTSTRAP_TOKEN_USED|already used|was used/i, 20_000);
    expect(refused[0]).toBeTruthy();
    const { nodes } = await a.runTetherJson<NodeListResult>(['nodes', 'list', '--state-dir', gatewayDir]);
    expect(nodes.map((n) => n.remoteIp)).toEqual([b.ip]);
  }, 30_000);
});
