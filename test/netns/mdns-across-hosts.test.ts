/**
 * mDNS across hosts, with the real CLI: host A runs `tether gateway run --host <ip> --mdns on`, host B
 * looks with `tether gateway discover --json` (and `tether node run` without `--url`), host C is a
 * second gateway with the same name, or an attacker. Node scripts only where the CLI cannot do it: a
 * continuous browse (mdns-watch.mjs, to see a gateway go) and a forger (mdns-forge.mjs).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, eventually, tempDir, type Spawned } from '../helpers/processes.js';
import { createLan, netnsForTests, type Host, type Lan } from './hosts.js';

const support = netnsForTests('the mDNS tests across hosts');
const PORT = 18789;
const NAME = 'garage-gw';
const FORGER = fileURLToPath(new URL('./mdns-forge.mjs', import.meta.url));
const WATCHER = fileURLToPath(new URL('./mdns-watch.mjs', import.meta.url));

interface Variant {
  host: string;
  port: number;
  addresses: string[];
  fingerprint?: string;
}
interface Found extends Variant {
  name: string;
  displayName?: string;
  tls: boolean;
  fingerprintVerified: boolean;
  protocol: string;
  types: string[];
  url: string;
  conflicting: boolean;
  variants?: Variant[];
}

function gatewayDir(name: string, extra: Record<string, unknown> = {}): string {
  const dir = tempDir('tether-mdns-gw-');
  writeFileSync(join(dir, 'tether.json'), JSON.stringify({ gateway: { tickIntervalMs: 1_000 }, discovery: { name }, ...extra }));
  return dir;
}

async function startGateway(host: Host, port: number, dir: string, extra: string[] = []): Promise<{ gateway: Spawned; fingerprint: string }> {
  const gateway = host.spawnTether(['gateway', 'run', '--host', host.ip, '--port', String(port), '--state-dir', dir, ...extra]);
  const listening = JSON.parse((await gateway.waitFor(/\{"event":"listening".*\}/, 15_000))[0]) as { url: string; tlsFingerprint: string };
  expect(listening.url).toBe(`wss://${host.ip}:${port}`);
  return { gateway, fingerprint: listening.tlsFingerprint };
}

async function discover(host: Host): Promise<{ gateways: Found[]; problems: string[] }> {
  const result = await host.runTether(['gateway', 'discover', '--timeout', '2s', '--json']);
  return JSON.parse(result.stdout) as { gateways: Found[]; problems: string[] };
}

/** The watcher's lines so far: the gateway names, each time the list changed. */
function watched(watch: Spawned): { t: number; names: string[] }[] {
  return watch
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { t: number; names: string[] });
}

describe.skipIf(!support.ok)(`mDNS across hosts (${support.ok ? support.mode : 'unavailable'})`, () => {
  let lan: Lan;
  let a: Host;
  let b: Host;
  let c: Host;
  let gatewayA: Spawned;
  let fingerprintA: string;

  beforeAll(async () => {
    lan = await createLan({ hosts: 3 });
    [a, b, c] = [lan.host('a'), lan.host('b'), lan.host('c')];
    ({ gateway: gatewayA, fingerprint: fingerprintA } = await startGateway(a, PORT, gatewayDir(NAME), ['--mdns', 'on']));
    await gatewayA.waitFor(new RegExp(`mDNS announced as "${NAME}" on eth0 10\\.77\\.0\\.1`), 15_000);
  }, 30_000);
  afterAll(async () => {
    await cleanup();
    await lan?.close();
  });

  it('host B finds both beacons as one gateway: resolved address, port, TLS, unverified fingerprint', async () => {
    const found = await eventually(async () => {
      const { gateways } = await discover(b);
      const g = gateways.find((x) => x.name === NAME);
      return g && g.types.length === 2 ? { g, gateways } : undefined;
    }, 20_000, 500);
    expect(found.gateways).toHaveLength(1);
    expect(found.g).toMatchObject({
      addresses: [a.ip],
      port: PORT,
      tls: true,
      fingerprint: fingerprintA,
      fingerprintVerified: false,
      protocol: 'tether',
      url: `wss://${a.ip}:${PORT}`,
      conflicting: false,
    });
    expect([...found.g.types].sort()).toEqual(['openclaw-gw', 'tether-gw']);
  }, 30_000);

  it('a second gateway with the same name (host C) renames itself; its goodbyes make it vanish at once on shutdown', async () => {
    const { gateway: gatewayC } = await startGateway(c, PORT + 1, gatewayDir(NAME), ['--mdns', 'on']);
    await gatewayC.waitFor(new RegExp(`"${NAME}" is already in use on the network; trying "${NAME} \\(2\\)"`), 15_000);
    await gatewayC.waitFor(new RegExp(`mDNS announced as "${NAME} \\(2\\)"`), 15_000);
    // A never yields its name.
    expect(gatewayA.output()).not.toMatch(/already in use/);

    const both = await eventually(async () => {
      const { gateways } = await discover(b);
      const renamed = gateways.find((g) => g.name === `${NAME} (2)`);
      const original = gateways.find((g) => g.name === NAME);
      return renamed && original ? { renamed, original } : undefined;
    }, 20_000, 500);
    expect(both.original).toMatchObject({ addresses: [a.ip], port: PORT, conflicting: false });
    expect(both.renamed).toMatchObject({ port: PORT + 1, conflicting: false });
    expect(both.renamed.addresses).toContain(c.ip);

    // A watcher that would take a minute to miss it: only a goodbye explains a quick "gone".
    const watch = b.spawn(process.execPath, [WATCHER], { MDNS_IF: b.ip, MISS_AFTER_MS: '60000' });
    await eventually(async () => (watched(watch).some((w) => w.names.includes(`${NAME} (2)`)) ? true : undefined), 15_000, 200);
    const stoppedAt = Date.now();
    gatewayC.child.kill('SIGTERM');
    expect(await gatewayC.exited).toBe(0);
    const gone = await eventually(async () => watched(watch).find((w) => w.t >= stoppedAt && !w.names.includes(`${NAME} (2)`)), 10_000, 100);
    expect(gone.t - stoppedAt).toBeLessThan(5_000);
    expect(gone.names).toContain(NAME);
    watch.child.kill('SIGKILL');
  }, 60_000);

  describe('a forger on host C answers for A\'s name with its own address, port and certificate', () => {
    const FORGED_PORT = PORT + 2;
    let dirC: string;
    let fingerprintC: string;
    let forgerC: Spawned;
    let serverC: Spawned;

    beforeAll(async () => {
      // The forger's TLS server: another Tether gateway, not advertising, with a certificate of its own.
      dirC = gatewayDir('not-advertised');
      ({ gateway: serverC, fingerprint: fingerprintC } = await startGateway(c, FORGED_PORT, dirC, ['--tls', 'on', '--mdns', 'off']));
      expect(fingerprintC).not.toBe(fingerprintA);
      forgerC = c.spawn(process.execPath, [FORGER], { MDNS_IF: c.ip, NAME, PORT: String(FORGED_PORT), FP: fingerprintC, TYPES: 'tether-gw,openclaw-gw' });
      await forgerC.waitFor(/forging/, 10_000);
    }, 30_000);
    afterAll(async () => {
      for (const p of [forgerC, serverC]) {
        p?.child.kill('SIGKILL');
        await p?.exited;
      }
    });

    it('`gateway discover` on host B marks the name conflicting, lists both variants, verifies no fingerprint', async () => {
      const entry = await eventually(async () => {
        const { gateways } = await discover(b);
        for (const g of gateways) expect(g.fingerprintVerified).toBe(false);
        return gateways.find((g) => g.types.includes('tether-gw') && g.conflicting && (g.variants ?? []).some((v) => v.port === FORGED_PORT) && g.variants!.some((v) => v.port === PORT));
      }, 20_000, 500);
      const real = entry.variants!.find((v) => v.port === PORT)!;
      const forged = entry.variants!.find((v) => v.port === FORGED_PORT)!;
      expect(real).toMatchObject({ addresses: [a.ip], fingerprint: fingerprintA });
      expect(forged).toMatchObject({ addresses: [c.ip], fingerprint: fingerprintC });
      expect(entry.fingerprintVerified).toBe(false);
    }, 30_000);

    it('`node run` without --url on host B (no TTY, fresh state) refuses and lists both candidates: it connects to nobody', async () => {
      const nodeDir = tempDir('tether-mdns-node-');
      const result = await eventually(async () => {
        const r = await b.runTether(['node', 'run', '--state-dir', nodeDir, '--display-name', 'pi-b'], {}, 20_000);
        // Until both answers have been heard in one browse, try again (the forger re-announces every 400 ms).
        return r.code !== 0 && r.stderr.includes(`wss://${c.ip}:${FORGED_PORT}`) && r.stderr.includes(`wss://${a.ip}:${PORT}`) ? r : undefined;
      }, 30_000, 0);
      expect(result.stderr).toMatch(/pick one with --url/);
      expect(result.stderr).toMatch(/conflicting/i);
      expect(result.stderr).not.toMatch(/connected to/);
      const devices = await c.runTetherJson<{ pending: unknown[] }>(['devices', 'list', '--state-dir', dirC]);
      expect(devices.pending).toEqual([]);
    }, 40_000);

    it("`node run --url <C> --trust-fingerprint <A's>` refuses C's certificate (PIN_MISMATCH) before sending anything", async () => {
      const nodeDir = tempDir('tether-mdns-node-');
      const result = await b.runTether(['node', 'run', '--url', `wss://${c.ip}:${FORGED_PORT}`, '--trust-fingerprint', fingerprintA, '--state-dir', nodeDir, '--display-name', 'pi-b'], {}, 20_000);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/PIN_MISMATCH/);
      expect(result.stderr).toMatch(/Nothing was sent/);
      expect(result.stderr).not.toMatch(/connected to/);
      const devices = await c.runTetherJson<{ pending: unknown[] }>(['devices', 'list', '--state-dir', dirC]);
      expect(devices.pending).toEqual([]);
    }, 30_000);
  });

  it('a gateway that dies without a goodbye (SIGKILL) is reported gone by a watching node', async () => {
    const watch = b.spawn(process.execPath, [WATCHER], { MDNS_IF: b.ip, MISS_AFTER_MS: '2000' });
    await eventually(async () => (watched(watch).some((w) => w.names.includes(NAME)) ? true : undefined), 15_000, 200);
    const killedAt = Date.now();
    gatewayA.child.kill('SIGKILL');
    await gatewayA.exited;
    const gone = await eventually(async () => watched(watch).find((w) => w.t >= killedAt && !w.names.includes(NAME)), 15_000, 200);
    expect(gone.t - killedAt).toBeGreaterThanOrEqual(1_000);
    // And a fresh look finds nothing under that name.
    const { gateways } = await discover(b);
    expect(gateways.filter((g) => g.name === NAME && g.port === PORT)).toEqual([]);
  }, 40_000);
});
