// The pairing flood of the security review (finding 7): strangers with fresh keys asking to pair, and
// what it costs the owner. Each stranger is a bare WebSocket that signs the challenge like a real node
// host and declares 50 commands, then hangs up on the answer. Bounded: exactly `total` attempts.
import { existsSync, statSync } from 'node:fs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildDeviceAuthPayloadV3, deriveDeviceId } from '../../protocol/dist/index.js';
import { operatorClient } from './load.mjs';
import { median, round } from './stats.mjs';

const COMMANDS = Array.from({ length: 50 }, (_, i) => `bench.flood.command.${i}`);

/** One stranger's attempt; resolves with the answer's details.code (or ADMITTED / CLOSED). */
function stranger(url) {
  return new Promise((resolve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
    const deviceId = deriveDeviceId(raw);
    const ws = new WebSocket(url);
    const done = (code) => {
      ws.terminate();
      resolve(code);
    };
    ws.on('error', () => done('ERROR'));
    ws.on('close', () => resolve('CLOSED'));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === 'connect.challenge') {
        const client = { id: 'node-host', mode: 'node', version: 'bench', platform: 'linux', deviceFamily: 'Linux', displayName: 'flood' };
        const { nonce, ts } = frame.payload;
        const payload = buildDeviceAuthPayloadV3({ deviceId, clientId: client.id, clientMode: client.mode, role: 'node', scopes: [], signedAtMs: ts, token: '', nonce, platform: client.platform, deviceFamily: client.deviceFamily });
        const signature = sign(null, Buffer.from(payload), privateKey).toString('base64url');
        const params = { minProtocol: 3, maxProtocol: 4, client, role: 'node', scopes: [], caps: [], commands: COMMANDS, userAgent: 'tether-node/bench', device: { id: deviceId, publicKey: raw.toString('base64url'), signature, signedAt: ts, nonce } };
        ws.send(JSON.stringify({ type: 'req', id: 'flood', method: 'connect', params }));
      } else if (frame.type === 'res') {
        done(frame.ok ? 'ADMITTED' : String(frame.error?.details?.code ?? frame.error?.code));
      }
    });
  });
}

/** Median of `runs` owner connects (shared token): connect → hello-ok, in ms. */
async function ownerConnectMs(url, token, runs = 20) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const client = operatorClient(url, token);
    const t0 = performance.now();
    await client.connect();
    samples.push(performance.now() - t0);
    await client.close();
  }
  return round(median(samples), 2);
}

function stateBytes(stateDir) {
  const path = join(stateDir, 'pairing', 'state.json');
  return existsSync(path) ? statSync(path).size : 0;
}

/** The flood figure: the owner's connect latency and state.json's size before and after `total` strangers. */
export async function pairingFlood(gateway, { total = 1500, concurrency = 10 } = {}) {
  const before = { ownerConnectMs: await ownerConnectMs(gateway.url, gateway.token), stateJsonBytes: stateBytes(gateway.stateDir) };
  const answers = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const code = await stranger(gateway.url);
        answers[code] = (answers[code] ?? 0) + 1;
      }
    }),
  );
  const floodMs = round(performance.now() - t0, 0);
  const after = { ownerConnectMs: await ownerConnectMs(gateway.url, gateway.token), stateJsonBytes: stateBytes(gateway.stateDir) };
  return { total, concurrency, floodMs, answers, before, after };
}
