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

/**
 * A WebSocket upgrade from a foreign page's Origin. The gateway may refuse it with an HTTP status or,
 * as ours does so a browser sees a reason, complete the upgrade and close at once with 1008. Refused:
 * a status other than 101, or a close frame before anything else. Accepted: any other first frame
 * (the connect challenge).
 */
function upgradeOutcome(target: ProbeTarget, origin: string): Promise<{ refused: boolean; detail: string }> {
  const base = httpBase(target.url);
  const make = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(base, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: origin },
      timeout: target.timeoutMs ?? 5_000,
      ...(base.protocol === 'https:' && target.tlsPin ? pinnedTlsOptions(target.tlsPin) : {}),
    });
    req.on('upgrade', (_res, socket, head) => {
      let data = Buffer.from(head);
      const timer = setTimeout(() => finish({ refused: false, detail: 'upgraded and kept open' }), target.timeoutMs ?? 5_000);
      const finish = (outcome: { refused: boolean; detail: string }): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      const inspect = (): void => {
        if (data.length < 2) return;
        const opcode = data[0]! & 0x0f;
        if (opcode === 0x8) {
          const code = data.length >= 4 ? data.readUInt16BE(2) : 0;
          finish({ refused: true, detail: `closed with ${code || 'no code'}` });
        } else finish({ refused: false, detail: `sent a frame (opcode ${opcode})` });
      };
      inspect();
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        inspect();
      });
      socket.on('close', () => finish({ refused: true, detail: 'closed' }));
      socket.on('error', () => finish({ refused: true, detail: 'closed' }));
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ refused: true, detail: `HTTP ${res.statusCode ?? 0}` });
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
  const ws = await upgradeOutcome(target, FOREIGN_ORIGIN).catch((error: Error) => ({ refused: true, detail: error.message }));
  if (!ws.refused) {
    findings.push({ id: 'deep.origin-ws-accepted', severity: 'critical', message: `a WebSocket upgrade from the foreign origin ${FOREIGN_ORIGIN} was accepted (${ws.detail})`, fix: 'remove wildcard entries from gateway.allowedOrigins; report it if none are set' });
  } else {
    findings.push({ id: 'deep.origin-ws-refused', severity: 'info', message: `a WebSocket upgrade from a foreign web origin is refused (${ws.detail})`, fix: 'none needed' });
  }
  return findings;
}

/**
 * A fresh key connects as a node without any token, from this machine. It must be asked to pair, never
 * paired. A node the gateway holds "waiting connected" (with no commands) is admitted to the socket
 * but not paired, so the verdict comes from the owner's view of the store (device.pair.list), not from
 * whether the connect succeeded. The pending request is then rejected, so no probe device stays listed.
 */
export async function probeTokenlessPairing(target: ProbeTarget): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tether-audit-'));
  let verdict: 'paired' | 'pending' | 'absent' | 'unknown' = 'unknown';
  let refusal = '';
  let connected = false;
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
    });
    try {
      await client.connect();
      connected = true;
    } catch (error) {
      refusal = error instanceof GatewayError ? error.detailCode : (error as Error).message;
    }
    try {
      if (target.ownerToken) verdict = await ownerVerdict(target, identity.deviceId);
    } finally {
      await client.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (verdict === 'paired') {
    return [{ id: 'deep.tokenless-pairing-admitted', severity: 'critical', message: 'a new key connecting as a node from this machine without a token was paired without approval', fix: 'set pairing.autoApproveLoopback to false and report this as a bug; remove the device "security-audit-probe" (tether devices list)' }];
  }
  if (verdict === 'pending') {
    return [{ id: 'deep.tokenless-pairing-held', severity: 'info', message: 'a tokenless local node is held for approval (its request was rejected again by the probe)', fix: 'none needed' }];
  }
  if (!connected && refusal) {
    const unreachable = !/PAIRING|NOT_PAIRED|AUTH|REJECT/.test(refusal);
    if (unreachable) return [{ id: 'deep.unreachable', severity: 'warn', message: `the pairing probe could not reach the gateway: ${refusal}`, fix: 'start the gateway, or pass --url' }];
    return [{ id: 'deep.tokenless-pairing-refused', severity: 'info', message: `a tokenless local node is refused or asked to pair (${refusal})`, fix: 'none needed' }];
  }
  if (verdict === 'absent') return [{ id: 'deep.tokenless-pairing-refused', severity: 'info', message: 'a tokenless local node was not paired', fix: 'none needed' }];
  return [{ id: 'deep.tokenless-pairing-unchecked', severity: 'warn', message: 'a tokenless local node was let onto the socket; without the owner token the audit cannot see whether it was paired', fix: 'run the audit on the gateway host (it reads the token from the state dir), or pass --token' }];
}

/** Where the probe's device ended up, as the owner sees it; rejects its pending request on the way. */
async function ownerVerdict(target: ProbeTarget, deviceId: string): Promise<'paired' | 'pending' | 'absent' | 'unknown'> {
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
    const list = await owner.request<{ pending?: { requestId: string; deviceId: string }[]; paired?: { deviceId: string }[] }>('device.pair.list', {});
    if ((list.paired ?? []).some((d) => d.deviceId === deviceId)) {
      await owner.request('device.pair.remove', { deviceId }).catch(() => undefined);
      return 'paired';
    }
    const pending = (list.pending ?? []).filter((p) => p.deviceId === deviceId);
    for (const request of pending) await owner.request('device.pair.reject', { requestId: request.requestId }).catch(() => undefined);
    return pending.length > 0 ? 'pending' : 'absent';
  } catch {
    return 'unknown';
  } finally {
    await owner.close();
  }
}

export async function deepProbes(target: ProbeTarget): Promise<Finding[]> {
  return [...(await probeHttpEdge(target)), ...(await probeForeignOrigin(target)), ...(await probeTokenlessPairing(target))];
}
