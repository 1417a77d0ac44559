/**
 * `tether security audit --deep`: the running gateway probed as an outsider would, over its real port.
 * Each probe is a finding: `info` when the gateway held, `critical` when it did not. Probes use plain
 * `node:http` / `node:net` / `node:tls` (no WebSocket library: an upgrade's status line is all we need)
 * and the protocol's reference client for the one pairing attempt.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayClient, GatewayError, pinnedTlsOptions, type TlsPin } from '@tether/protocol';
import { loadOrCreateIdentity } from '@tether/pairing';
import type { Finding } from './finding.js';

export interface ProbeTarget {
  /** ws:// or wss:// URL of the gateway. */
  url: string;
  /** The owner's token: used only to clean up after the pairing probe, never sent by a probe itself. */
  ownerToken?: string;
  tlsPin?: TlsPin;
  timeoutMs?: number;
  /** Strings that must never appear in a response body (the owner token). */
  secrets?: readonly string[];
}

const FOREIGN_ORIGIN = 'https://audit-probe.invalid';

interface HttpAnswer {
  status: number;
  body: string;
}

function httpBase(url: string): URL {
  const base = new URL(url);
  base.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
  base.pathname = '/';
  return base;
}

function get(target: ProbeTarget, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const base = httpBase(target.url);
  const make = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      new URL(path, base),
      { method: 'GET', headers, timeout: target.timeoutMs ?? 5_000, ...(base.protocol === 'https:' && target.tlsPin ? pinnedTlsOptions(target.tlsPin) : {}) },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 64_000) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes to the port, as a broken or hostile client would send them; resolves when the gateway hangs up or answers. */
function sendRaw(target: ProbeTarget, bytes: string): Promise<string> {
  const base = httpBase(target.url);
  const port = Number(base.port || (base.protocol === 'https:' ? 443 : 80));
  const host = base.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket =
      base.protocol === 'https:'
        ? tlsConnect({ host, port, servername: undefined, ...(target.tlsPin ? pinnedTlsOptions(target.tlsPin) : { rejectUnauthorized: false }) })
        : netConnect({ host, port });
    let seen = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(seen);
    };
    const timer = setTimeout(done, target.timeoutMs ?? 5_000);
    socket.once(base.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.length > 16_000) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

function leaked(target: ProbeTarget, body: string): boolean {
  return (target.secrets ?? []).some((secret) => secret.length >= 8 && body.includes(secret));
}

export async function probeHttpEdge(target: ProbeTarget): Promise<Finding[]> {
  const findings: Finding[] = [];
  const replies = [
    await sendRaw(target, 'GARBAGE \x00\x01\x02 / HTTP/9.9\r\n\r\n'),
    await sendRaw(target, `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    await sendRaw(target, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
  ];
  let health: HttpAnswer | undefined;
  try {
    health = await get(target, '/healthz');
  } catch {
    health = undefined;
  }
  if (!health || health.status !== 200) {
    findings.push({ id: 'deep.http-malformed-kills', severity: 'critical', message: 'after malformed HTTP requests the gateway no longer answers /healthz', fix: 'report this as a bug with the gateway log; restart the gateway' });
  } else {
    findings.push({ id: 'deep.http-malformed', severity: 'info', message: 'malformed HTTP requests were refused and the gateway kept answering', fix: 'none needed' });
  }
  const unknown = await get(target, '/audit-probe-no-such-path').catch(() => undefined);
  if (!unknown || unknown.status !== 404) {
    findings.push({ id: 'deep.http-unknown-path', severity: 'warn', message: `an unknown path answered ${unknown ? unknown.status : 'nothing'} instead of 404`, fix: 'check what serves this port: a proxy in front of the gateway may be answering' });
  } else {
    findings.push({ id: 'deep.http-unknown-path-404', severity: 'info', message: 'unknown paths answer 404', fix: 'none needed' });
  }
  const bodies = [...replies, unknown?.body ?? '', health?.body ?? ''];
  if (bodies.some((body) => leaked(target, body))) {
    findings.push({ id: 'deep.http-secret-in-error', severity: 'critical', message: 'an HTTP error body contains the owner token', fix: 'rotate the token (delete gateway.token and restart) and report this as a bug' });
  } else {
    findings.push({ id: 'deep.http-no-secrets', severity: 'info', message: 'no error body contains the owner token', fix: 'none needed' });
  }
  return findings;
}

/** A WebSocket upgrade from a foreign page's Origin: refused means any status but 101. */
function upgradeStatus(target: ProbeTarget, origin: string): Promise<number> {
  const base = httpBase(target.url);
  const make = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(base, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin },
      timeout: target.timeoutMs ?? 5_000,
      ...(base.protocol === 'https:' && target.tlsPin ? pinnedTlsOptions(target.tlsPin) : {}),
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function probeForeignOrigin(target: ProbeTarget): Promise<Finding[]> {
  const findings: Finding[] = [];
  const http = await get(target, '/healthz', { Origin: FOREIGN_ORIGIN }).catch(() => undefined);
  if (http && http.status >= 200 && http.status < 300) {
    findings.push({ id: 'deep.origin-http-accepted', severity: 'critical', message: `an HTTP request from the foreign origin ${FOREIGN_ORIGIN} was answered ${http.status}`, fix: 'remove wildcard entries from gateway.allowedOrigins; report it if none are set' });
  } else {
    findings.push({ id: 'deep.origin-http-refused', severity: 'info', message: 'HTTP requests from a foreign web origin are refused', fix: 'none needed' });
  }
  const ws = await upgradeStatus(target, FOREIGN_ORIGIN).catch(() => 0);
  if (ws === 101) {
    findings.push({ id: 'deep.origin-ws-accepted', severity: 'critical', message: `a WebSocket upgrade from the foreign origin ${FOREIGN_ORIGIN} was accepted`, fix: 'remove wildcard entries from gateway.allowedOrigins; report it if none are set' });
  } else {
    findings.push({ id: 'deep.origin-ws-refused', severity: 'info', message: `a WebSocket upgrade from a foreign web origin is refused (${ws || 'connection closed'})`, fix: 'none needed' });
  }
  return findings;
}

/**
 * A fresh key connects as a node without any token, from this machine. It must be asked to pair, never
 * admitted. The pending request it leaves is then rejected with the owner token, so the device list
 * shows nothing of the probe beyond the audit log line.
 */
export async function probeTokenlessPairing(target: ProbeTarget): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tether-audit-'));
  let requestId: string | undefined;
  let outcome: 'admitted' | 'pairing' | 'refused' | 'unreachable' = 'unreachable';
  let detail = '';
  try {
    const identity = loadOrCreateIdentity({ dir });
    const client = new GatewayClient({
      url: target.url,
      identity,
      role: 'node',
      tlsPin: target.tlsPin,
      client: { id: 'node-host', mode: 'node', version: '0.1.0', platform: process.platform, displayName: 'security-audit-probe' },
      commands: ['system.run'],
      connectTimeoutMs: target.timeoutMs ?? 5_000,
      requestTimeoutMs: target.timeoutMs ?? 5_000,
      onPairingRequired: (error) => {
        const details = error.details as { requestId?: unknown } | undefined;
        if (typeof details?.requestId === 'string') requestId = details.requestId;
      },
    });
    try {
      await client.connect();
      outcome = 'admitted';
    } catch (error) {
      if (error instanceof GatewayError) {
        outcome = /PAIRING|NOT_PAIRED/.test(`${error.code} ${error.detailCode}`) ? 'pairing' : 'refused';
        detail = error.detailCode;
        const details = error.details as { requestId?: unknown } | undefined;
        if (typeof details?.requestId === 'string') requestId = details.requestId;
      } else {
        detail = (error as Error).message;
      }
    } finally {
      await client.close();
    }
    if (requestId && target.ownerToken) await rejectProbeRequest(target, requestId);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  switch (outcome) {
    case 'admitted':
      return [{ id: 'deep.tokenless-pairing-admitted', severity: 'critical', message: 'a new key connecting as a node from this machine without a token was admitted without approval', fix: 'set pairing.autoApproveLoopback to false and report this as a bug; remove the device "security-audit-probe" (tether devices list)' }];
    case 'pairing':
      return [{ id: 'deep.tokenless-pairing-held', severity: 'info', message: `a tokenless local node is asked for approval (${detail})${requestId ? ', and the probe\'s request was rejected again' : ''}`, fix: 'none needed' }];
    case 'refused':
      return [{ id: 'deep.tokenless-pairing-refused', severity: 'info', message: `a tokenless local node is refused (${detail})`, fix: 'none needed' }];
    default:
      return [{ id: 'deep.unreachable', severity: 'warn', message: `the pairing probe could not reach the gateway: ${detail}`, fix: 'start the gateway, or pass --url' }];
  }
}

async function rejectProbeRequest(target: ProbeTarget, requestId: string): Promise<void> {
  const owner = new GatewayClient({
    url: target.url,
    token: target.ownerToken,
    role: 'operator',
    scopes: ['operator.pairing'],
    tlsPin: target.tlsPin,
    client: { id: 'cli', mode: 'cli', version: '0.1.0', platform: process.platform },
    connectTimeoutMs: target.timeoutMs ?? 5_000,
    requestTimeoutMs: target.timeoutMs ?? 5_000,
  });
  try {
    await owner.connect();
    await owner.request('device.pair.reject', { requestId });
  } catch {
    // The request expires by itself within minutes; the audit's result does not depend on this.
  } finally {
    await owner.close();
  }
}

export async function deepProbes(target: ProbeTarget): Promise<Finding[]> {
  return [...(await probeHttpEdge(target)), ...(await probeForeignOrigin(target)), ...(await probeTokenlessPairing(target))];
}
