/**
 * TLS end to end with real processes on 127.0.0.1: the gateway serves wss with its own certificate, a
 * node pins it only when told (or refuses and says how), a wrong certificate is refused before any
 * secret leaves the node, ws:// beyond loopback is refused before any connect, pins can be reset, and
 * a man in the middle with its own certificate makes the two verification codes differ.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevicePairListResult } from '@tether/protocol';
import { formatFingerprint } from '@tether/protocol';
import { TlsPinStore } from '@tether/pairing';
import { loadOrCreateCertificate, type GatewayCertificate } from '../gateway/src/tls/certificate.js';
import { cleanup, runTether, runTetherJson, spawnTether, startGatewayProcess, tempDir, type GatewayProcess } from './helpers/processes.js';

afterAll(cleanup);

let gateway: GatewayProcess;
let fingerprint: string;
let evil: GatewayCertificate;

beforeAll(async () => {
  gateway = await startGatewayProcess({ args: ['--tls', 'on', '--no-local-auto-approve'] });
  fingerprint = /"tlsFingerprint":"([0-9a-f]{64})"/.exec(gateway.output())![1]!;
  evil = await loadOrCreateCertificate({ stateDir: tempDir('tether-evil-'), hosts: ['127.0.0.1'] });
});

/** A TLS server with another certificate that records every byte sent to it after its handshake. */
async function impostor(forwardTo?: number): Promise<{ url: string; received: () => string; close: () => void }> {
  const chunks: Buffer[] = [];
  const server = tls.createServer({ cert: evil.certPem, key: evil.keyPem }, (socket) => {
    socket.on('error', () => undefined);
    if (forwardTo === undefined) return void socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A man in the middle: terminates TLS with its own certificate and relays to the real gateway.
    const upstream = tls.connect({ host: '127.0.0.1', port: forwardTo, rejectUnauthorized: false });
    upstream.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.pipe(upstream).pipe(socket);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `wss://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () => server.close(),
  };
}

describe('gateway TLS', () => {
  it('serves wss:// and prints its SHA-256 fingerprint for people and scripts', () => {
    expect(gateway.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(gateway.output()).toContain(`TLS certificate SHA-256: ${formatFingerprint(fingerprint)}`);
  });

  it('the local CLI pins its own gateway from the state dir without asking', async () => {
    const list = await runTetherJson<DevicePairListResult>(['devices', 'list', '--state-dir', gateway.stateDir]);
    expect(list.pending).toEqual([]);
  });

  it('`tether gateway status` shows the certificate fingerprint a node should have pinned', async () => {
    const status = await runTetherJson<{ tls?: { enabled: boolean; fingerprint?: string } }>(['gateway', 'status', '--state-dir', gateway.stateDir]);
    expect(status.tls).toEqual({ enabled: true, fingerprint });
    const text = await runTether(['gateway', 'status', '--state-dir', gateway.stateDir]);
    expect(text.stdout).toMatch(new RegExp(`TLS: +on, certificate SHA-256 ${fingerprint.slice(0, 4)} ${fingerprint.slice(4, 8)}`));
  });
});

describe('node trust (hostile first)', () => {
  it('without a pin and without a terminal, the node refuses, shows the fingerprint and the exact command', async () => {
    const nodeDir = tempDir('tether-node-');
    const result = await runTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(formatFingerprint(fingerprint));
    expect(result.stderr).toContain(`--trust-fingerprint ${fingerprint}`);
    const list = await runTetherJson<DevicePairListResult>(['devices', 'list', '--state-dir', gateway.stateDir]);
    expect(list.pending).toEqual([]);
  });

  it('a wrong certificate is refused before any secret: the impostor receives nothing but the public rotation query', async () => {
    const fake = await impostor();
    try {
      const nodeDir = tempDir('tether-node-');
      // This machine pinned the real gateway for that address, and holds a device token and the owner token for it.
      await new TlsPinStore(join(nodeDir, 'tls-pins.json')).set(fake.url, { fingerprint, certPem: (await import('node:fs')).readFileSync(join(gateway.stateDir, 'tls', 'gateway-cert.pem'), 'utf8') });
      const result = await runTether(['node', 'run', '--url', fake.url, '--state-dir', nodeDir], { TETHER_GATEWAY_TOKEN: 'owner-token-SECRET-0123456789' });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('PIN_MISMATCH');
      expect(result.stderr).toContain(formatFingerprint(fingerprint));
      expect(result.stderr).toContain(formatFingerprint(evil.fingerprint));
      expect(result.stderr).toContain('tether node trust --reset');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The one request a pinned node makes to a new certificate: the signed rotation statements, which
      // carry no credential either way. No token, no upgrade, no signed connect.
      expect(fake.received()).toMatch(/^GET \/tls\/rotations HTTP\/1\.1\r\nHost: [^\r]+\r\nConnection: close\r\n\r\n$/);
      expect(fake.received()).not.toMatch(/SECRET|authorization|upgrade|connect"/i);

      // First contact with a --trust-fingerprint the impostor cannot match: also refused with nothing sent.
      const before = fake.received();
      const fresh = tempDir('tether-node-');
      const second = await runTether(['node', 'run', '--url', fake.url, '--state-dir', fresh, '--trust-fingerprint', fingerprint], { TETHER_GATEWAY_TOKEN: 'owner-token-SECRET-0123456789' });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain('PIN_MISMATCH');
      expect(fake.received()).toBe(before);
    } finally {
      fake.close();
    }
  });

  it('ws:// to a non-loopback address is refused before any connect attempt unless --insecure', async () => {
    const started = Date.now();
    const node = await runTether(['node', 'run', '--url', 'ws://192.0.2.1:18789', '--state-dir', tempDir('tether-node-')]);
    expect(node.code).toBe(2);
    expect(node.stderr).toContain('--insecure');
    expect(node.stderr).toContain('wss://192.0.2.1:18789');
    const cli = await runTether(['gateway', 'status', '--url', 'ws://192.0.2.1:18789', '--state-dir', tempDir('tether-cli-')]);
    expect(cli.code).toBe(2);
    expect(cli.stderr + cli.stdout).toContain('--insecure');
    // A connect attempt to TEST-NET would hang until its timeout; the refusal is immediate.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('--trust-fingerprint pins and connects; the pin is listed and `tether node trust --reset` removes it', async () => {
    const nodeDir = tempDir('tether-node-');
    const node = spawnTether(['node', 'run', '--url', gateway.url, '--state-dir', nodeDir, '--trust-fingerprint', fingerprint.toUpperCase().match(/.{2}/g)!.join(':')]);
    const printed = await node.waitFor(/verification code:\s+(\S+)/);
    const list = await runTetherJson<DevicePairListResult>(['devices', 'list', '--state-dir', gateway.stateDir]);
    const mine = list.pending.find((p) => p.verificationCode === printed[1]);
    expect(mine, `gateway codes ${list.pending.map((p) => p.verificationCode).join(',')} vs node ${printed[1]}`).toBeDefined();
    node.child.kill('SIGTERM');
    await node.exited;
    await runTether(['devices', 'reject', mine!.requestId, '--state-dir', gateway.stateDir]);

    const pins = await runTetherJson<{ url: string; fingerprint: string }[]>(['node', 'trust', '--state-dir', nodeDir]);
    expect(pins).toEqual([expect.objectContaining({ url: gateway.url, fingerprint })]);
    const reset = await runTether(['node', 'trust', '--reset', '--state-dir', nodeDir]);
    expect(reset.code).toBe(0);
    expect(await runTetherJson<unknown[]>(['node', 'trust', '--state-dir', nodeDir])).toEqual([]);
  });

  it('a man in the middle with its own certificate: the node and the gateway show different verification codes', async () => {
    const mitm = await impostor(gateway.port);
    try {
      const nodeDir = tempDir('tether-node-');
      // The person was fooled into trusting the MITM's certificate; the codes still disagree.
      const node = spawnTether(['node', 'run', '--url', mitm.url, '--state-dir', nodeDir, '--trust-fingerprint', evil.fingerprint]);
      const printed = await node.waitFor(/request id:\s+(\S+)[\s\S]*verification code:\s+(\S+)/);
      const list = await runTetherJson<DevicePairListResult>(['devices', 'list', '--state-dir', gateway.stateDir]);
      const request = list.pending.find((p) => p.requestId === printed[1]);
      expect(request).toBeDefined();
      expect(request!.verificationCode).toMatch(/^[0-9A-Z]{8}$/);
      expect(request!.verificationCode).not.toBe(printed[2]);
      node.child.kill('SIGTERM');
      await node.exited;
    } finally {
      mitm.close();
    }
  });
});

describe('CLI trust for a remote wss gateway', () => {
  it('refuses an unknown gateway without a terminal, then pins with --trust-fingerprint', async () => {
    const cliDir = tempDir('tether-cli-');
    const token = (await import('node:fs')).readFileSync(join(gateway.stateDir, 'gateway.token'), 'utf8').trim();
    const refused = await runTether(['gateway', 'status', '--url', gateway.url, '--state-dir', cliDir, '--token', token]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toContain(`--trust-fingerprint ${fingerprint}`);
    const pinned = await runTether(['gateway', 'status', '--url', gateway.url, '--state-dir', cliDir, '--token', token, '--trust-fingerprint', fingerprint, '--json']);
    expect(pinned.code, pinned.stderr).toBe(0);
    const again = await runTether(['gateway', 'status', '--url', gateway.url, '--state-dir', cliDir, '--token', token, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const pins = await runTetherJson<{ fingerprint: string }[]>(['gateway', 'trust', '--state-dir', cliDir]);
    expect(pins.map((p) => p.fingerprint)).toEqual([fingerprint]);
  });
});
