/**
 * Finding 1: one unauthenticated HTTP request killed the gateway. Every malformed request line, header
 * and body shape here must get a 4xx JSON answer while the process keeps serving.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, eventually, startGatewayProcess, type GatewayProcess } from '../helpers/processes.js';
import { expectAlive, expectJsonError, rawHttp } from './helpers.js';

let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await startGatewayProcess();
});
afterAll(cleanup);

const request = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe('malformed request targets get a JSON 400 and the gateway lives', () => {
  it.each([
    ['absolute-form with a broken IPv6 host (the review reproduction)', 'http://[/'],
    ['absolute-form with a valid host', 'http://evil.example/healthz'],
    ['authority-form', 'evil.example:443'],
    ['scheme-relative', '//evil.example/healthz'],
    ['asterisk-form', '*'],
    ['bad percent escape', '/media/%zz'],
    ['very long path', `/${'a'.repeat(10_000)}`],
    ['https absolute with userinfo', 'https://u:p@[::1/'],
  ])('%s', async (_name, target) => {
    const answer = await rawHttp(gateway.port, request(target));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expectJsonError(answer, answer.status);
    await expectAlive(gateway);
  });
});

describe('bytes the HTTP parser refuses still get the JSON error shape', () => {
  it.each([
    ['a NUL in the target', 'GET /heal\0thz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bare LF header block', 'GET / HTTP/1.1\nHost: x\n\n\0'],
    ['duplicate Content-Length', 'POST /media HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['an invalid header name', 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n'],
    ['a garbage method line', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ])('%s', async (_name, bytes) => {
    const answer = await rawHttp(gateway.port, Buffer.from(bytes, 'latin1'));
    expectJsonError(answer, 400);
    await expectAlive(gateway);
  });
});

describe('routes refuse bad input with a stable code', () => {
  it('an unknown path is a 404 JSON, with the path shown inert', async () => {
    const answer = await rawHttp(gateway.port, request('/%1b%5b2J'));
    expectJsonError(answer, 404, 'NOT_FOUND');
    expect(answer.body).not.toContain('\x1b');
  });

  it('a wrong method on a known path is a 405 JSON', async () => {
    expectJsonError(await rawHttp(gateway.port, 'DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 405, 'METHOD_NOT_ALLOWED');
  });

  it.each([
    ['no credentials', ''],
    ['a junk device id', 'Authorization: Bearer x\r\nX-Tether-Device-Id: ../../etc\r\n'],
    ['a device id that is not paired', `Authorization: Bearer x\r\nX-Tether-Device-Id: ${'a'.repeat(64)}\r\n`],
    ['two device id headers', `Authorization: Bearer x\r\nX-Tether-Device-Id: ${'a'.repeat(64)}\r\nX-Tether-Device-Id: ${'b'.repeat(64)}\r\n`],
  ])('POST /media with %s is a 401', async (_name, headers) => {
    const answer = await rawHttp(gateway.port, `POST /media?format=jpg HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: 3\r\n\r\nabc`);
    expectJsonError(answer, 401, 'UNAUTHORIZED');
  });

  it('GET /media without the token is a 401, with a wrong id a 404', async () => {
    expectJsonError(await rawHttp(gateway.port, request(`/media/${'0'.repeat(64)}`)), 401, 'UNAUTHORIZED');
    expectJsonError(await rawHttp(gateway.port, request('/media/not-a-hash')), 404, 'NOT_FOUND');
  });
});

describe('a damaged state file on disk', () => {
  it('POST /media still answers (no crash) and the gateway keeps serving', async () => {
    const gw = await startGatewayProcess();
    writeFileSync(join(gw.stateDir, 'pairing', 'state.json'), '{ this is not json');
    const answer = await rawHttp(gw.port, `POST /media?format=jpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nX-Tether-Device-Id: ${'a'.repeat(64)}\r\nContent-Length: 3\r\n\r\nabc`);
    expect([401, 503]).toContain(answer.status);
    expectJsonError(answer, answer.status);
    await expectAlive(gw);
  });
});

describe('/readyz tells the truth (finding 15)', () => {
  it('is ready on a healthy gateway, and says not ready with the reason once the pairing store cannot be written', async () => {
    const gw = await startGatewayProcess();
    const ready = await fetch(`http://127.0.0.1:${gw.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, failing: [] });
    // Root ignores file modes, so break the directory itself: the store's directory becomes a file.
    const pairingDir = join(gw.stateDir, 'pairing');
    rmSync(pairingDir, { recursive: true, force: true });
    writeFileSync(pairingDir, 'not a directory');
    const notReady = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${gw.port}/readyz`);
      return response.status === 503 ? ((await response.json()) as { ready: boolean; failing: { check: string; reason: string }[] }) : undefined;
    }, 5_000, 200);
    expect(notReady.ready).toBe(false);
    expect(notReady.failing[0]).toMatchObject({ check: 'pairing-store' });
    expect(notReady.failing[0]!.reason.length).toBeGreaterThan(0);
    await expectAlive(gw);
  });
});
