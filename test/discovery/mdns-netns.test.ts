/**
 * mDNS across two "hosts": rootless network namespaces joined by veth pairs and a bridge
 * (`unshare -rn`, see two-hosts.sh). Real multicast, the real library, the built gateway and node-agent
 * code; the root namespace never sees a packet. Skipped, with the reason, where namespaces cannot be
 * made or the build is missing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('./two-hosts.sh', import.meta.url));
const FP = 'ab'.repeat(32);

function why(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (!existsSync(`${root}gateway/dist/discovery/index.js`) || !existsSync(`${root}node-agent/dist/discovery/browse.js`)) return 'the build is missing (npm run build)';
  try {
    execFileSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up && ip link add br0 type bridge && ip link add va type veth peer name vb && unshare -n true'], { stdio: 'pipe', timeout: 10_000 });
  } catch (error) {
    return `cannot make network namespaces here (unshare -rn, ip link add … type bridge/veth): ${String((error as { stderr?: Buffer }).stderr ?? error).trim().split('\n')[0]}`;
  }
  return undefined;
}

const skipReason = why();
if (skipReason) console.warn(`[mdns-netns] skipped: ${skipReason}`);

function twoHosts(gatewayCmd: string, nodeCmd: string, timeoutMs = 25_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-rn', 'sh', script, gatewayCmd, nodeCmd], { cwd: root, env: { ...process.env, VITEST: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`two-hosts timed out\n${stderr}`));
    }, timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe.skipIf(skipReason !== undefined)('mDNS between two network namespaces', () => {
  it('the node finds the gateway: resolved address, port, TLS, unverified fingerprint, both beacons', async () => {
    const { stdout, stderr } = await twoHosts(
      `LIFETIME_MS=8000 FP=${FP} node test/discovery/publish.mjs > /dev/null`,
      'sleep 1; TIMEOUT=2500 node test/discovery/browse.mjs',
    );
    const [result] = jsonLines(stdout);
    expect(result, stderr).toBeDefined();
    expect(result.problems).toEqual([]);
    expect(result.gateways).toHaveLength(1);
    expect(result.gateways[0]).toMatchObject({
      name: 'tt-gw',
      addresses: ['10.78.0.1'],
      port: 18789,
      tls: true,
      fingerprint: FP,
      fingerprintVerified: false,
      protocol: 'tether',
      types: ['tether-gw', 'openclaw-gw'],
      url: 'wss://10.78.0.1:18789',
      conflicting: false,
    });
    expect(stderr).toMatch(/mDNS announced as "tt-gw" on eth0 10\.78\.0\.1/);
  });

  it('a gateway that dies without a goodbye is reported gone (the library alone never would)', async () => {
    const { stdout, stderr } = await twoHosts(
      'LIFETIME_MS=20000 node test/discovery/publish.mjs > /dev/null & P=$!; sleep 3; kill -9 $P',
      'WATCH=7000 node test/discovery/browse.mjs',
    );
    const changes = jsonLines(stdout).map((c) => c.list.length);
    // Seen (first one beacon, then both merged into one entry), then gone ~2 s after the SIGKILL.
    expect(changes[0], stderr).toBe(1);
    expect(Math.max(...changes)).toBe(1);
    expect(changes[changes.length - 1]).toBe(0);
  });

  it('a forged answer for the same name shows up as a conflicting hint, never as the truth', async () => {
    const { stdout, stderr } = await twoHosts(
      `LIFETIME_MS=9000 FP=${FP} node test/discovery/publish.mjs > /dev/null`,
      'sleep 1.5; (LIFETIME_MS=5000 node test/discovery/forge.mjs &) ; sleep 0.3; TIMEOUT=3000 node test/discovery/browse.mjs',
    );
    const [result] = jsonLines(stdout);
    expect(result, stderr).toBeDefined();
    const entry = result.gateways.find((g: { conflicting: boolean }) => g.conflicting);
    expect(entry, JSON.stringify(result)).toBeDefined();
    expect(entry.fingerprintVerified).toBe(false);
    const ports = entry.variants.map((v: { port: number }) => v.port).sort((a: number, b: number) => a - b);
    expect(ports).toEqual([6666, 18789]);
    expect(entry.variants.map((v: { fingerprint?: string }) => v.fingerprint).sort()).toEqual(['ab'.repeat(32), 'ee'.repeat(32)]);
  });

  it('a second gateway with the same name renames itself instead of fighting', async () => {
    const { stdout, stderr } = await twoHosts(
      'LIFETIME_MS=9000 node test/discovery/publish.mjs > /dev/null',
      'sleep 1.5; LIFETIME_MS=3500 HOSTLABEL=tt-gw2 PORT=18790 node test/discovery/publish.mjs | tail -n 1 > /tmp/.tt-rename-$$; sleep 0.1; cat /tmp/.tt-rename-$$; rm -f /tmp/.tt-rename-$$',
    );
    const states = jsonLines(stdout);
    const last = states[states.length - 1];
    expect(last, stderr).toBeDefined();
    expect(stderr).toMatch(/"tt-gw" is already in use on the network; trying "tt-gw \(2\)"/);
    expect(last.renames).toBe(1);
    expect(last.name).toBe('tt-gw (2)');
  });
});
