/**
 * Two hosts on a private LAN (network namespaces, see hosts.ts): a gateway on host A bound to
 * 10.77.0.1, a node-agent on host B, paired by the operator on host A; an invoke crosses the LAN; the
 * cable is cut and the node is reported gone; it is plugged back in and the node comes back by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult, NodeListResult } from '@tether/protocol';
import { cleanup, eventually, tempDir, type Spawned } from '../helpers/processes.js';
import { operatorArgs, remoteNodeArgs } from '../helpers/remote-node.js';
import { createLan, netnsForTests, type Host, type Lan } from './hosts.js';

const support = netnsForTests('the two-host tests');

const PORT = 18789;
/** Short ticks so a cut cable is noticed in seconds (both sides time out after two silent ticks). */
const TICK_MS = 1_000;

describe.skipIf(!support.ok)(`two hosts on a private LAN (${support.ok ? support.mode : 'unavailable'})`, () => {
  let lan: Lan;
  let a: Host;
  let b: Host;
  let gatewayDir: string;
  let gatewayUrl: string;
  let fingerprint: string;
  let gateway: Spawned;
  let node: Spawned;
  let nodeDir: string;
  let requestId: string;
  /** An operator command on host A; `program` goes after `--` (the gateway flags must come before it). */
  const op = (command: string[], program: string[] = []) => [...command, ...operatorArgs(command.slice(0, 2), gatewayDir, gatewayUrl), ...(program.length ? ['--', ...program] : [])];
  const nodesOnA = async () => (await a.runTetherJson<NodeListResult>(op(['nodes', 'list']))).nodes;

  beforeAll(async () => {
    lan = await createLan({ hosts: 2 });
    a = lan.host('a');
    b = lan.host('b');
  });

  afterAll(async () => {
    await cleanup();
    await lan?.close();
  });

  it('runs a gateway on host A bound to its LAN address', async () => {
    gatewayDir = tempDir('tether-netns-gw-');
    mkdirSync(gatewayDir, { recursive: true });
    writeFileSync(join(gatewayDir, 'tether.json'), JSON.stringify({ gateway: { tickIntervalMs: TICK_MS } }));
    gateway = a.spawnTether(['gateway', 'run', '--host', a.ip, '--port', String(PORT), '--state-dir', gatewayDir]);
    const listening = JSON.parse((await gateway.waitFor(/\{"event":"listening".*\}/, 15_000))[0]) as { url: string; port: number; tlsFingerprint?: string };
    gatewayUrl = listening.url;
    expect(new URL(gatewayUrl).hostname).toBe(a.ip);
    expect(listening.port).toBe(PORT);
    // Bound beyond loopback, the gateway serves TLS by default; the node pins what it printed.
    expect(gatewayUrl.startsWith('wss://')).toBe(true);
    fingerprint = listening.tlsFingerprint!;
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a node on host B asks to pair, seen by the gateway from 10.77.0.2', async () => {
    nodeDir = tempDir('tether-netns-node-');
    node = b.spawnTether(remoteNodeArgs({ url: gatewayUrl, stateDir: nodeDir, displayName: 'pi-b', trustFingerprint: fingerprint }));
    const printed = await node.waitFor(/request id:\s+(\S+)/, 15_000);
    requestId = printed[1]!;
    const list = await a.runTetherJson<DevicePairListResult>(op(['devices', 'list']));
    expect(list.pending.map((p) => p.requestId)).toEqual([requestId]);
    // The traffic really crossed the LAN: the gateway saw host B's address, not loopback.
    expect(list.pending[0]!.remoteIp).toBe(b.ip);
  });

  it('is approved by the operator on host A and serves an invoke across the LAN', async () => {
    const approve = await a.runTether(op(['devices', 'approve', requestId]));
    expect(approve.code, approve.stderr).toBe(0);
    await node.waitFor(/connected to .* as pi-b/, 10_000);
    const allow = await b.runTether(['node', 'allow', 'uname', '--state-dir', nodeDir]);
    expect(allow.code, allow.stderr).toBe(0);

    const nodes = await nodesOnA();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ displayName: 'pi-b', connected: true, approvalState: 'approved', remoteIp: b.ip });

    const run = await a.runTether(op(['nodes', 'run', '--node', 'pi-b'], ['uname', '-s']));
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Linux\n');
    expect(run.code).toBe(0);

    // And the bytes went through the switch port of host B.
    const stats = await lan.portStats(b);
    expect(stats.rxBytes).toBeGreaterThan(1_000);
    expect(stats.txBytes).toBeGreaterThan(1_000);
  });

  it('reports the node gone when host B is cut off, and it comes back by itself when plugged in', async () => {
    await lan.cut(b);
    expect(await lan.linkState(b)).toBe('down');
    const cutAt = Date.now();
    await eventually(async () => ((await nodesOnA()).find((n) => n.displayName === 'pi-b' && !n.connected) ? true : undefined), 15_000, 250);
    const goneMs = Date.now() - cutAt;
    // Nothing reaches host B meanwhile.
    const failed = await a.runTether(op(['nodes', 'run', '--node', 'pi-b'], ['uname', '-s']));
    expect(failed.code).not.toBe(0);

    await lan.restore(b);
    const restoredAt = Date.now();
    const back = await eventually(async () => (await nodesOnA()).find((n) => n.displayName === 'pi-b' && n.connected), 40_000, 250);
    const backMs = Date.now() - restoredAt;
    console.log(`[netns] node reported gone ${goneMs} ms after the cut, back ${backMs} ms after the restore`);
    expect(back).toMatchObject({ approvalState: 'approved', remoteIp: b.ip });

    const run = await a.runTether(op(['nodes', 'run', '--node', 'pi-b'], ['uname', '-s']));
    expect(run.stdout).toBe('Linux\n');
    expect(run.code).toBe(0);
  }, 70_000);
});
