/**
 * WhatsApp in the built gateway (cli/bin/tether.js and its bundle): with channels.whatsapp set, the
 * gateway loads Baileys and opens WhatsApp Web's socket at channels.whatsapp.wsUrl (here a loopback
 * server that hears the Noise prologue and hangs up, as a broken link would); the channel reconnects
 * on the saved credentials without a QR and says so in `tether channels status`. With no credentials
 * saved it is "failed: not linked" and opens nothing.
 *
 * A loopback server cannot complete WhatsApp's handshake (reference §2.4), so "connected" is covered
 * by the unit tests at the socket seam and by the manual QR smoke test in the docs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { cleanup, eventually, runTetherJson, startGatewayProcess, tempDir } from './helpers/processes.js';

interface ChannelState {
  name: string;
  state: string;
  reason?: string;
}

const servers: WebSocketServer[] = [];
afterAll(async () => {
  await cleanup();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function fakeWhatsAppWeb() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/chat' });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const connections: { origin: string | undefined; firstFrame?: Buffer }[] = [];
  server.on('connection', (socket, request) => {
    const entry: (typeof connections)[number] = { origin: request.headers.origin };
    connections.push(entry);
    socket.once('message', (data) => {
      entry.firstFrame = Buffer.from(data as Buffer);
      socket.close(1011);
    });
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/chat`, connections };
}

async function gateway(url: string, linked: boolean) {
  const stateDir = tempDir('tether-wa-gw-');
  let secret = '';
  if (linked) {
    const { initAuthCreds, BufferJSON } = await import('baileys');
    const authDir = join(stateDir, 'channels', 'whatsapp', 'auth');
    mkdirSync(authDir, { recursive: true, mode: 0o700 });
    const creds = { ...initAuthCreds(), me: { id: '4915100000001:7@s.whatsapp.net', lid: '99000000000001:7@lid', name: 'Tether' }, registered: true };
    writeFileSync(join(authDir, 'creds.json'), JSON.stringify(creds, BufferJSON.replacer), { mode: 0o600 });
    secret = Buffer.from(creds.noiseKey.private).toString('base64');
  }
  writeFileSync(join(stateDir, 'tether.json'), JSON.stringify({ channels: { whatsapp: { wsUrl: url, allowFrom: ['+4915112345678'] } } }));
  const process = await startGatewayProcess({ stateDir });
  const status = () => runTetherJson<{ channels: ChannelState[] }>(['channels', 'status', '--state-dir', stateDir]).then((r) => r.channels.find((c) => c.name === 'whatsapp'));
  return { process, status, secret };
}

describe('WhatsApp channel in the built gateway', () => {
  it('loads Baileys, speaks to channels.whatsapp.wsUrl, and reconnects on the saved credentials', async () => {
    const web = await fakeWhatsAppWeb();
    const { process, status, secret } = await gateway(web.url, true);
    await eventually(async () => (web.connections.length >= 2 ? true : undefined), 20_000, 100);
    const first = web.connections[0]!;
    expect(first.origin).toBe('https://web.whatsapp.com');
    // "WA", protocol 6, dictionary 3: Baileys' Noise prologue.
    expect([...first.firstFrame!.subarray(0, 4)]).toEqual([0x57, 0x41, 0x06, 0x03]);
    const state = await eventually(async () => {
      const channel = await status();
      return channel && channel.state === 'reconnecting' ? channel : undefined;
    }, 15_000, 200);
    expect(state.reason).toMatch(/connection closed/);
    expect(process.output()).not.toMatch(/\bqr\b/i);
    expect(process.output()).not.toContain(secret);
  }, 45_000);

  it('without credentials it is failed "not linked" and opens no socket', async () => {
    const web = await fakeWhatsAppWeb();
    const { status } = await gateway(web.url, false);
    const state = await eventually(async () => {
      const channel = await status();
      return channel && channel.state === 'failed' ? channel : undefined;
    }, 15_000, 200);
    expect(state.reason).toBe('not linked: run `tether channels login whatsapp`');
    expect(web.connections).toHaveLength(0);
  }, 30_000);
});
