/**
 * Certificate rotation that pinned nodes follow by themselves: `tether gateway rotate-cert` makes a new
 * certificate and has the old key sign for it; after a restart the gateway serves the new one, and a
 * node that was pinned to the old one (and kept running through the restart) reconnects, checks the
 * signed statement and re-pins. A certificate nothing signed for (the state dir lost, or an impostor)
 * is still refused, and that node never reconnects.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeListResult } from '@tether/protocol';
import { cleanup, eventually, ownerTokenEnv, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess, type Spawned } from './helpers/processes.js';

afterAll(cleanup);

const fingerprintOf = (gateway: GatewayProcess) => /"tlsFingerprint":"([0-9a-f]{64})"/.exec(gateway.output())![1]!;
const pinnedIn = (nodeDir: string) => (JSON.parse(readFileSync(join(nodeDir, 'tls-pins.json'), 'utf8')) as { pins: Record<string, { fingerprint: string }> }).pins;

async function restart(gateway: GatewayProcess): Promise<GatewayProcess> {
  gateway.child.kill('SIGTERM');
  await gateway.exited;
  return startGatewayProcess({ stateDir: gateway.stateDir, port: gateway.port, args: ['--tls', 'on'] });
}

async function pinnedNode(gateway: GatewayProcess): Promise<{ node: Spawned; nodeDir: string }> {
  const nodeDir = tempDir('tether-rot-node-');
  const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--trust-fingerprint', fingerprintOf(gateway), '--display-name', 'pinned'], ownerTokenEnv(gateway));
  await node.waitFor(/connected to wss:/, 15_000);
  return { node, nodeDir };
}

describe('TLS certificate rotation', () => {
  it('a running pinned node follows a rotation the old certificate signed', async () => {
    let gateway = await startGatewayProcess({ args: ['--tls', 'on'] });
    const before = fingerprintOf(gateway);
    const { node, nodeDir } = await pinnedNode(gateway);

    const rotated = await runTetherJson<{ from: string; to: string }>(['gateway', 'rotate-cert', '--state-dir', gateway.stateDir]);
    expect(rotated.from).toBe(before);
    gateway = await restart(gateway);
    expect(fingerprintOf(gateway)).toBe(rotated.to);

    await eventually(async () => (Object.values(pinnedIn(nodeDir)).some((pin) => pin.fingerprint === rotated.to) ? true : undefined), 30_000, 250);
    await eventually(async () => {
      const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', '--state-dir', gateway.stateDir]);
      return nodes.some((n) => n.displayName === 'pinned' && n.connected) ? true : undefined;
    }, 30_000, 250);
    expect(node.output()).toMatch(/rotated its certificate, signed by the one pinned here/);
  }, 90_000);

  it('a new certificate nothing signed for is refused: the node stays off and says why', async () => {
    let gateway = await startGatewayProcess({ args: ['--tls', 'on'] });
    const before = fingerprintOf(gateway);
    const { node, nodeDir } = await pinnedNode(gateway);
    // The state dir's certificate is lost: the next start makes an unrelated one, with no statement.
    gateway.child.kill('SIGTERM');
    await gateway.exited;
    rmSync(join(gateway.stateDir, 'tls'), { recursive: true, force: true });
    gateway = await startGatewayProcess({ stateDir: gateway.stateDir, port: gateway.port, args: ['--tls', 'on'] });
    expect(fingerprintOf(gateway)).not.toBe(before);

    await node.waitFor(/PIN_MISMATCH/, 30_000);
    expect(Object.values(pinnedIn(nodeDir)).map((pin) => pin.fingerprint)).toEqual([before]);
    const { nodes } = await runTetherJson<NodeListResult>(['nodes', 'list', '--state-dir', gateway.stateDir]);
    expect(nodes.filter((n) => n.connected)).toEqual([]);
    const status = await runTether(['gateway', 'status', '--state-dir', gateway.stateDir]);
    expect(status.code).toBe(0);
  }, 90_000);
});
