/**
 * The harness itself: three hosts that reach each other over the bridge by TCP and by multicast (as mDNS
 * will), each with its own loopback, no way out of the LAN, a cable that can be cut and restored, and
 * a teardown that leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup } from '../helpers/processes.js';
import { createLan, netnsForTests, type Lan } from './hosts.js';

const support = netnsForTests('the harness tests');

const node = process.execPath;

/** A TCP server that answers each connection with the peer's address, then closes it. */
const TCP_SERVER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
net.createServer((s) => s.end(s.remoteAddress + '\\n')).listen(Number(port), host, () => console.log('listening'));`;

/** Connects, prints what the server said, or the error. */
const TCP_CLIENT = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port), timeout: 1500 });
let got = '';
s.on('data', (d) => (got += d));
s.on('end', () => { console.log('peer sees me as ' + got.trim()); process.exit(0); });
s.on('timeout', () => { console.log('error ETIMEDOUT'); process.exit(1); });
s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });`;

/** Joins the mDNS group on 5353 and prints the sender of each datagram. */
const MCAST_RECEIVER = `
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m, r) => console.log('got ' + m + ' from ' + r.address));
s.bind(5353, '0.0.0.0', () => { s.addMembership('224.0.0.251'); console.log('joined'); });`;

/** Sends a few datagrams to the mDNS group, through the host's 224.0.0.0/4 route. */
const MCAST_SENDER = `
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
let n = 0;
s.bind(0, () => { s.setMulticastTTL(1); const t = setInterval(() => { s.send('hello', 5353, '224.0.0.251'); if (++n === 10) { clearInterval(t); s.close(); } }, 100); });`;

describe.skipIf(!support.ok)(`the netns harness (${support.ok ? support.mode : 'unavailable'})`, () => {
  let lan: Lan;
  afterAll(async () => {
    await cleanup();
    await lan?.close();
  });

  it('makes three hosts with their addresses, loopback up and only LAN routes', async () => {
    const started = Date.now();
    lan = await createLan({ hosts: 3 });
    console.log(`[netns] three hosts made in ${Date.now() - started} ms (${lan.mode})`);
    expect(lan.hosts.map((h) => [h.name, h.ip])).toEqual([['a', '10.77.0.1'], ['b', '10.77.0.2'], ['c', '10.77.0.3']]);
    for (const host of lan.hosts) {
      const addresses = await host.run('ip', ['-o', '-4', 'addr', 'show']);
      expect(addresses.stdout).toMatch(/\blo\s+inet 127\.0\.0\.1\/8/);
      expect(addresses.stdout).toContain(`eth0    inet ${host.ip}/24`);
      const routes = await host.run('ip', ['-4', 'route', 'show']);
      expect(routes.stdout.trim().split('\n').map((l) => l.split(' ')[0]).sort()).toEqual(['10.77.0.0/24', '224.0.0.0/4']);
      // Nothing can leave the LAN: there is no default route.
      const out = await host.run('ip', ['route', 'get', '192.0.2.1']);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toMatch(/unreachable/i);
    }
  });

  it('carries TCP between hosts, each host with a loopback of its own', async () => {
    const [a, b, c] = lan.hosts as [typeof lan.hosts[0], typeof lan.hosts[0], typeof lan.hosts[0]];
    await a.spawn(node, ['-e', TCP_SERVER, a.ip, '7001']).waitFor(/listening/);
    await a.spawn(node, ['-e', TCP_SERVER, '127.0.0.1', '7002']).waitFor(/listening/);
    for (const from of [b, c]) {
      const result = await from.run(node, ['-e', TCP_CLIENT, a.ip, '7001']);
      expect(result.stdout.trim()).toBe(`peer sees me as ${from.ip}`);
    }
    // Host A's loopback is A's own: host B's 127.0.0.1 has nothing on 7002.
    expect((await a.run(node, ['-e', TCP_CLIENT, '127.0.0.1', '7002'])).stdout.trim()).toBe('peer sees me as 127.0.0.1');
    expect((await b.run(node, ['-e', TCP_CLIENT, '127.0.0.1', '7002'])).stdout.trim()).toBe('error ECONNREFUSED');
  });

  it('carries multicast to the mDNS group across the bridge', async () => {
    const [a, b, c] = lan.hosts as [typeof lan.hosts[0], typeof lan.hosts[0], typeof lan.hosts[0]];
    const receivers = [b, c].map((h) => h.spawn(node, ['-e', MCAST_RECEIVER]));
    await Promise.all(receivers.map((r) => r.waitFor(/joined/)));
    a.spawn(node, ['-e', MCAST_SENDER]);
    await Promise.all(receivers.map((r) => r.waitFor(/got hello from 10\.77\.0\.1/, 5_000)));
  });

  it('cuts and restores a host\'s cable', async () => {
    const [a, b, c] = lan.hosts as [typeof lan.hosts[0], typeof lan.hosts[0], typeof lan.hosts[0]];
    await lan.cut(b);
    expect(await lan.linkState(b)).toBe('down');
    expect((await b.run('ip', ['-o', 'link', 'show', 'eth0'])).stdout).toMatch(/NO-CARRIER/);
    expect((await b.run(node, ['-e', TCP_CLIENT, a.ip, '7001'])).stdout).toMatch(/^error /);
    // The others are unaffected.
    expect((await c.run(node, ['-e', TCP_CLIENT, a.ip, '7001'])).stdout.trim()).toBe(`peer sees me as ${c.ip}`);
    await lan.restore(b);
    expect(await lan.linkState(b)).toBe('up');
    expect((await b.run(node, ['-e', TCP_CLIENT, a.ip, '7001'])).stdout.trim()).toBe(`peer sees me as ${b.ip}`);
  });

  it('tears down completely: holders gone, namespaces gone, nothing new in the caller\'s namespace', async () => {
    const pids = lan.hosts.map((h) => h.pid);
    await cleanup();
    await lan.close();
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
    // close() is idempotent.
    await lan.close();
  });

  it('kills what a test left running inside a host, and says so', async () => {
    const other = await createLan({ hosts: 1 });
    const straggler = other.hosts[0]!.spawn('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 100));
    await expect(other.close()).rejects.toThrow(/still inside the hosts and had to be killed/);
    expect(await straggler.exited).toBeNull();
  });
});
