/**
 * Pinning must really pin: a TLS server on 127.0.0.1 with a different self-signed certificate must see
 * no HTTP byte (so no token in a header, no connect frame) and the client must say PIN_MISMATCH with both fingerprints.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createWebSocketTransport, fingerprintOfPem, formatFingerprint, normalizeFingerprint, PinMismatchError, probeCertificate, type TlsPin } from '@tether/protocol';
import { loadOrCreateCertificate, type GatewayCertificate } from './certificate.js';

let dir: string;
let good: GatewayCertificate;
let evil: GatewayCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tether-tls-'));
  good = await loadOrCreateCertificate({ stateDir: join(dir, 'good'), hosts: ['127.0.0.1', 'localhost'] });
  evil = await loadOrCreateCertificate({ stateDir: join(dir, 'evil'), hosts: ['127.0.0.1', 'localhost'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw TLS server that records every byte it receives after the handshake. */
async function recordingTlsServer(cert: GatewayCertificate): Promise<{ port: number; received: () => Buffer; handshakes: () => number; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  let handshakes = 0;
  const server = tls.createServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => {
    handshakes++;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    handshakes: () => handshakes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function pinOf(cert: GatewayCertificate): TlsPin {
  return { fingerprint: cert.fingerprint, certPem: cert.certPem };
}

function openWith(url: string, pin: TlsPin): Promise<{ opened: boolean; error?: Error }> {
  const transport = createWebSocketTransport({ tlsPin: pin })(url);
  return new Promise((resolve) => {
    transport.onOpen(() => {
      transport.close(1000, 'done');
      resolve({ opened: true });
    });
    transport.onError((error) => resolve({ opened: false, error }));
  });
}

describe('gateway certificate', () => {
  it('is ECDSA P-256, lists its SANs, and keeps its key 0600 in a 0700 dir', async () => {
    const { X509Certificate } = await import('node:crypto');
    const x = new X509Certificate(good.certPem);
    expect(x.publicKey.asymmetricKeyType).toBe('ec');
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(statSync(good.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'good', 'tls')).mode & 0o777).toBe(0o700);
    expect(fingerprintOfPem(good.certPem)).toBe(good.fingerprint);
    expect(good.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // Reused on the next start, not remade.
    const again = await loadOrCreateCertificate({ stateDir: join(dir, 'good'), hosts: [] });
    expect(again.fingerprint).toBe(good.fingerprint);
    expect(again.created).toBe(false);
  });

  it('fingerprints parse from every common spelling', () => {
    const upperColons = good.fingerprint.toUpperCase().match(/.{2}/g)!.join(':');
    expect(normalizeFingerprint(`sha256:${upperColons}`)).toBe(good.fingerprint);
    expect(normalizeFingerprint(formatFingerprint(good.fingerprint))).toBe(good.fingerprint);
    expect(normalizeFingerprint('abc')).toBeUndefined();
  });
});

describe('wss pinning (hostile)', () => {
  it('a wrong certificate fails the TLS handshake: the impostor receives no HTTP byte, the error names both fingerprints', async () => {
    const impostor = await recordingTlsServer(evil);
    try {
      const result = await openWith(`wss://127.0.0.1:${impostor.port}/?token=SECRET`, pinOf(good));
      expect(result.opened).toBe(false);
      expect(result.error).toBeInstanceOf(PinMismatchError);
      expect(result.error!.message).toContain('PIN_MISMATCH');
      expect(result.error!.message).toContain(formatFingerprint(good.fingerprint));
      expect(result.error!.message).toContain(formatFingerprint(evil.fingerprint));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(impostor.received().length).toBe(0);
      expect(impostor.received().toString()).not.toContain('GET');
    } finally {
      await impostor.close();
    }
  });

  it('control: rejectUnauthorized:false + checkServerIdentity (the dead-hook pattern) lets the impostor read the upgrade', async () => {
    const impostor = await recordingTlsServer(evil);
    try {
      const ws = new WebSocket(`wss://127.0.0.1:${impostor.port}/`, {
        rejectUnauthorized: false,
        checkServerIdentity: (() => new Error('never called for a self-signed certificate')) as unknown as () => boolean,
        headers: { authorization: 'Bearer SECRET' },
        handshakeTimeout: 1_000,
      });
      ws.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      ws.terminate();
      expect(impostor.received().toString()).toContain('Bearer SECRET');
    } finally {
      await impostor.close();
    }
  });

  it('the pinned certificate is accepted and the WebSocket opens', async () => {
    const server: Server = createHttpsServer({ cert: good.certPem, key: good.keyPem });
    const wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await openWith(`wss://127.0.0.1:${port}`, pinOf(good));
      expect(result).toEqual({ opened: true });
      const probed = await probeCertificate(`wss://127.0.0.1:${port}`);
      expect(probed.fingerprint).toBe(good.fingerprint);
    } finally {
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the probe reads the certificate and sends no application byte', async () => {
    const impostor = await recordingTlsServer(evil);
    try {
      const probed = await probeCertificate(`wss://127.0.0.1:${impostor.port}`);
      expect(probed.fingerprint).toBe(evil.fingerprint);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(impostor.received().length).toBe(0);
    } finally {
      await impostor.close();
    }
  });
});
