/**
 * Finding 4: a device approved only for operator.pairing approved its own operator.admin upgrade, and
 * device.token.rotate handed any device's fresh token to it. Approval now needs every scope it grants;
 * a rotated token goes only to an admin or to the device itself.
 */
import type { DevicePairListResult } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator, sharedToken } from '../helpers/clients.js';
import { cleanup, startGatewayProcess, type GatewayProcess } from '../helpers/processes.js';
import { newTestKey, openRawPeer, signedConnect, type RawPeer, type TestKey } from '../helpers/raw-client.js';

let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
});
afterAll(cleanup);

async function asOwner<T>(fn: (request: <R>(method: string, params: unknown) => Promise<R>) => Promise<T>): Promise<T> {
  const operator = await connectOperator(gateway.url, gateway.stateDir);
  try {
    return await fn((method, params) => operator.request(method, params));
  } finally {
    await operator.close();
  }
}

let frameId = 0;
async function call(peer: RawPeer, method: string, params: unknown): Promise<Record<string, any>> {
  const id = `adv-${++frameId}`;
  peer.send({ type: 'req', id, method, params });
  for (;;) {
    const frame = await peer.nextFrame();
    if (frame.type === 'res' && frame.id === id) return frame;
  }
}

/** Connects `key` with a signed connect; returns the peer and the connect answer. */
async function connectAs(key: TestKey, options: Parameters<typeof signedConnect>[2]): Promise<{ peer: RawPeer; res: Record<string, any> }> {
  const peer = await openRawPeer(gateway.url);
  peer.send(signedConnect(key, peer.challenge, options));
  return { peer, res: await peer.nextFrame() };
}

/** A device the owner approved for exactly `scopes`, connected with them. */
async function pairedOperator(scopes: string[]): Promise<{ key: TestKey; peer: RawPeer }> {
  const key = newTestKey();
  const asked = await connectAs(key, { role: 'operator', scopes, userAgent: null });
  expect(asked.res.error?.code).toBe('NOT_PAIRED');
  await asOwner((request) => request('device.pair.approve', { requestId: asked.res.error.details.requestId }));
  const { peer, res } = await connectAs(key, { role: 'operator', scopes, userAgent: null });
  expect(res.ok, JSON.stringify(res)).toBe(true);
  return { key, peer };
}

describe('approval needs every scope it grants', () => {
  it('the review reproduction: a pairing-only phone cannot approve its own admin upgrade', async () => {
    const { key, peer } = await pairedOperator(['operator.pairing']);
    const status = await call(peer, 'status', {});
    expect(status.error?.details?.code).toBe('MISSING_SCOPE');

    const upgrade = await connectAs(key, { role: 'operator', scopes: ['operator.admin'], userAgent: null });
    expect(upgrade.res.error).toMatchObject({ code: 'NOT_PAIRED', details: { reason: 'scope-upgrade' } });
    const requestId = upgrade.res.error.details.requestId as string;

    const list = await call(peer, 'device.pair.list', {});
    expect(list.payload.pending.find((r: { requestId: string }) => r.requestId === requestId).requiredApproveScopes).toEqual(['operator.admin', 'operator.pairing']);
    const approve = await call(peer, 'device.pair.approve', { requestId });
    expect(approve.ok).toBe(false);
    expect(approve.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'APPROVAL_SCOPE_MISSING', missingScopes: ['operator.admin'] } });

    // Through OpenClaw's node.pair.* methods too.
    expect((await call(peer, 'node.pair.approve', { requestId })).error?.details?.code).toBe('APPROVAL_SCOPE_MISSING');
    // And the upgrade is still not granted.
    const retry = await connectAs(key, { role: 'operator', scopes: ['operator.admin'], userAgent: null });
    expect(retry.res.error?.code).toBe('NOT_PAIRED');
    peer.ws.close();
  });

  it('a pairing + write operator cannot approve a node that declares system.run, but may approve it without system.run', async () => {
    const { peer } = await pairedOperator(['operator.pairing', 'operator.write']);
    const node = await connectAs(newTestKey(), { commands: ['system.run', 'camera.snap'] });
    const requestId = node.res.error.details.requestId as string;
    const refused = await call(peer, 'device.pair.approve', { requestId });
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'APPROVAL_SCOPE_MISSING', missingScopes: ['operator.admin'] } });
    const list = await asOwner((request) => request<DevicePairListResult>('device.pair.list', {}));
    expect(list.pending.some((r) => r.requestId === requestId)).toBe(true);
    const allowed = await call(peer, 'device.pair.approve', { requestId, without: ['system.run'] });
    expect(allowed.ok, JSON.stringify(allowed)).toBe(true);
    expect(allowed.payload.device.commands).toEqual(['camera.snap']);
    peer.ws.close();
  });

  it('the owner with the shared token approves anything, whatever scopes its session asked for', async () => {
    const node = await connectAs(newTestKey(), { commands: ['system.run'] });
    const requestId = node.res.error.details.requestId as string;
    const owner = await connectOperator(gateway.url, gateway.stateDir, ['operator.pairing']);
    await expect(owner.request('device.pair.approve', { requestId })).resolves.toMatchObject({ requestId });
    await owner.close();
  });
});

describe('a rotated token is a credential', () => {
  it('a pairing-scoped device cannot rotate (and so receive) another device token', async () => {
    const { peer } = await pairedOperator(['operator.pairing']);
    const victim = newTestKey();
    const victimPeer = await openRawPeer(gateway.url);
    victimPeer.send(signedConnect(victim, victimPeer.challenge, { commands: ['camera.snap'], token: sharedToken(gateway.stateDir) }));
    expect((await victimPeer.nextFrame()).ok).toBe(false); // --no-local-auto-approve: asks
    const pending = await asOwner((request) => request<DevicePairListResult>('device.pair.list', {}));
    const victimRequest = pending.pending.find((r) => r.deviceId === victim.deviceId)!;
    await asOwner((request) => request('device.pair.approve', { requestId: victimRequest.requestId }));

    const rotated = await call(peer, 'device.token.rotate', { deviceId: victim.deviceId, role: 'node' });
    expect(rotated.ok).toBe(false);
    expect(rotated.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' } });
    expect(JSON.stringify(rotated)).not.toMatch(/"token":/);
    peer.ws.close();
  });

  it('a device may rotate its own token', async () => {
    const { key, peer } = await pairedOperator(['operator.pairing']);
    const rotated = await call(peer, 'device.token.rotate', { deviceId: key.deviceId, role: 'operator' });
    expect(rotated.ok, JSON.stringify(rotated)).toBe(true);
    expect(rotated.payload.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    peer.ws.close();
  });
});

describe('taking away what others hold', () => {
  it('a pairing-only device cannot remove or revoke a device that holds more (an admin device), but may manage nodes', async () => {
    const { peer } = await pairedOperator(['operator.pairing']);
    const admin = await pairedOperator(['operator.admin']);
    const removed = await call(peer, 'device.pair.remove', { deviceId: admin.key.deviceId });
    expect(removed.error).toMatchObject({ code: 'FORBIDDEN', details: { code: 'MISSING_SCOPE', missingScopes: ['operator.admin'] } });
    const revoked = await call(peer, 'device.token.revoke', { deviceId: admin.key.deviceId, role: 'operator' });
    expect(revoked.error?.details?.code).toBe('MISSING_SCOPE');
    expect((await call(peer, 'node.pair.remove', { nodeId: admin.key.deviceId })).error?.details?.code).toBe('MISSING_SCOPE');
    // The admin device is still paired and still gets in.
    const again = await connectAs(admin.key, { role: 'operator', scopes: ['operator.admin'], userAgent: null });
    expect(again.res.ok).toBe(true);
    // A node holds no scopes: managing nodes is what operator.pairing is for.
    const nodeKey = newTestKey();
    const node = await connectAs(nodeKey, { commands: [] });
    await asOwner((request) => request('device.pair.approve', { requestId: node.res.error.details.requestId }));
    expect((await call(peer, 'device.pair.remove', { deviceId: nodeKey.deviceId })).ok).toBe(true);
    for (const p of [peer, admin.peer, again.peer]) p.ws.close();
  });
});

describe('one key, two roles (finding 9)', () => {
  it('approving an operator role for a node keeps its approved commands, live and on record', async () => {
    const key = newTestKey();
    const owner = await connectOperator(gateway.url, gateway.stateDir);
    const nodeAsk = await connectAs(key, { commands: ['system.which'] });
    await owner.request('device.pair.approve', { requestId: nodeAsk.res.error.details.requestId });
    const node = await connectAs(key, { commands: ['system.which'] });
    expect(node.res.ok).toBe(true);

    const operatorAsk = await connectAs(key, { role: 'operator', scopes: ['operator.read'], userAgent: null });
    expect(operatorAsk.res.error?.code).toBe('NOT_PAIRED');
    await owner.request('device.pair.approve', { requestId: operatorAsk.res.error.details.requestId });

    const list = await owner.request<DevicePairListResult>('device.pair.list', {});
    const record = list.paired.find((d) => d.deviceId === key.deviceId)!;
    expect(record.roles.sort()).toEqual(['node', 'operator']);
    expect(record.commands).toEqual(['system.which']);
    const described = await owner.request<{ commands: string[] }>('node.describe', { nodeId: key.deviceId });
    expect(described.commands).toEqual(['system.which']);
    node.peer.ws.close();
    await owner.close();
  });
});
