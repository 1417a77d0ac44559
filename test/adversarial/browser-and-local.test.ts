/**
 * Finding 5: a web page the owner visits, any local process and any header-less TCP forwarder could
 * pair silently as a node over loopback, commands included. Now a browser page (an Origin header) is
 * refused unless configured, and silent pairing needs the shared token.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevicePairListResult } from '@tether/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator, sharedToken } from '../helpers/clients.js';
import { cleanup, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { newTestKey, openRawPeer, signedConnect } from '../helpers/raw-client.js';

let gateway: GatewayProcess;
beforeAll(async () => {
  const stateDir = tempDir('tether-gw-');
  writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ gateway: { allowedOrigins: ['https://console.example:8443'] } }));
  gateway = await startGatewayProcess({ stateDir });
});
afterAll(cleanup);

async function pairingState(): Promise<DevicePairListResult> {
  const operator = await connectOperator(gateway.url, gateway.stateDir);
  try {
    return await operator.request<DevicePairListResult>('device.pair.list', {});
  } finally {
    await operator.close();
  }
}

describe('browser pages (an Origin header on the upgrade)', () => {
  it.each([
    ['an attacker page', 'https://evil.example'],
    ['the literal null origin of a sandboxed iframe or file:// page', 'null'],
    ['a loopback page on another port', 'http://127.0.0.1:3000'],
    ['the allowed host on another port', 'https://console.example'],
    ['the allowed origin with a path glued on', 'https://console.example:8443/x'],
  ])('%s is refused with a clear close reason before any challenge', async (_name, origin) => {
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(gateway.url, { headers: { Origin: origin } });
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(data.toString()));
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/origin not allowed.*gateway\.allowedOrigins/);
    // Closed before the challenge: the page never gets a nonce to sign.
    expect(frames).toEqual([]);
  });

  it('the review chain: a page with a fresh key and system.run + camera.snap pairs nothing', async () => {
    const before = await pairingState();
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(gateway.url, { headers: { Origin: 'https://evil.example' } });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { event?: string; payload?: { nonce: string; ts: number } };
      if (frame.event === 'connect.challenge') ws.send(JSON.stringify(signedConnect(newTestKey(), frame.payload!, { commands: ['system.run', 'camera.snap'] })));
    });
    await new Promise((resolve) => ws.on('close', resolve));
    const after = await pairingState();
    expect(after.paired.length).toBe(before.paired.length);
    expect(after.pending.length).toBe(before.pending.length);
  });

  it('a configured origin may connect (the Control UI case), case-insensitively', async () => {
    const peer = await openRawPeer(gateway.url, { headers: { Origin: 'HTTPS://Console.Example:8443' } });
    expect(peer.challenge.nonce).toMatch(/^[0-9a-f-]{36}$/);
    peer.ws.close();
  });
});

describe('local strangers (loopback without the shared token)', () => {
  it('a tokenless loopback node is not paired silently: it gets a pending request like a remote one', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.run', 'camera.snap'] }));
    const res = await peer.nextFrame();
    expect(res).toMatchObject({ ok: false, error: { code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED' } } });
    const state = await pairingState();
    expect(state.paired.find((d) => d.deviceId === key.deviceId)).toBeUndefined();
    expect(state.pending.find((r) => r.deviceId === key.deviceId)).toMatchObject({ silent: false, requiredApproveScopes: ['operator.admin', 'operator.pairing', 'operator.write'] });
  });

  it('a loopback node with the shared token pairs silently (the local CLI and tether up)', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'], token: sharedToken(gateway.stateDir) }));
    const res = await peer.nextFrame();
    expect(res).toMatchObject({ ok: true, payload: { type: 'hello-ok' } });
    peer.ws.close();
  });

  it('a forwarded connection with the token is not silent either: a proxy speaks for someone else', async () => {
    const key = newTestKey();
    const peer = await openRawPeer(gateway.url, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    peer.send(signedConnect(key, peer.challenge, { commands: ['system.which'], token: sharedToken(gateway.stateDir) }));
    const res = await peer.nextFrame();
    expect(res.error?.code).toBe('NOT_PAIRED');
  });

  it('a tokenless reconnect of a paired node cannot widen its surface silently', async () => {
    const key = newTestKey();
    const first = await openRawPeer(gateway.url);
    first.send(signedConnect(key, first.challenge, { commands: ['system.which'], token: sharedToken(gateway.stateDir) }));
    expect((await first.nextFrame()).ok).toBe(true);
    first.ws.close();
    const again = await openRawPeer(gateway.url);
    again.send(signedConnect(key, again.challenge, { commands: ['system.which', 'system.run'] }));
    expect((await again.nextFrame()).ok).toBe(true);
    again.ws.close();
    const state = await pairingState();
    expect(state.paired.find((d) => d.deviceId === key.deviceId)?.commands).toEqual(['system.which']);
    expect(state.pending.find((r) => r.deviceId === key.deviceId)).toMatchObject({ reason: 'surface-upgrade', silent: false });
  });
});
