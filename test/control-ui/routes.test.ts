/**
 * The Control UI's HTTP side against a real gateway process, written the way an attacker would try it:
 * paths that climb out of /ui/, login codes replayed, forged or oversized, and pages on other origins.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
import { cleanup, runTether, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import { buildUiLoginPayload } from '@tether/protocol';
import { connectAsBrowser } from '../helpers/control-ui.js';
import { newTestKey, openRawPeer, signedConnect, type TestKey } from '../helpers/raw-client.js';

const tempDirFor = () => tempDir('tether-ui-empty-');

let gateway: GatewayProcess;
let base: string;

beforeAll(async () => {
  gateway = await startGatewayProcess();
  base = `http://127.0.0.1:${gateway.port}`;
}, 30_000);
afterAll(cleanup);

/** The request target exactly as written (fetch would normalise `..` away before sending). */
function rawGet(target: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1', () => socket.end(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text }));
    socket.on('error', reject);
  });
}

async function loginLink(extra: string[] = []): Promise<string> {
  const result = await runTether(['dashboard', '--no-open', '--json', '--state-dir', gateway.stateDir, ...extra]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { url: string }).url;
}

const codeOf = (link: string) => new URL(link).hash.replace(/^#code=/, '');

const sharedToken = () => readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();

/** The login a page sends: its code, its browser key's public half, and its signature over the code (or the Bearer token). */
function login(code: unknown, headers: Record<string, string> = {}, raw?: string, key: TestKey = newTestKey()) {
  const presented = headers.authorization?.replace(/^Bearer /, '') ?? (typeof code === 'string' ? code : '');
  const signature = key.sign(buildUiLoginPayload(key.publicKey, presented));
  return fetch(`${base}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw ?? JSON.stringify({ code, publicKey: key.publicKey, signature }) });
}

interface DeviceLogin {
  auth: string;
  deviceId: string;
  deviceToken: string;
  scopes: string[];
}

/** Connects as the page does: the paired browser key signs the challenge, with its device token. */
async function connectAsPage(key: TestKey, login: DeviceLogin, scopes = login.scopes): Promise<Record<string, any>> {
  const { peer, hello } = await connectAsBrowser(gateway, { key, deviceId: key.deviceId, deviceToken: login.deviceToken, scopes: login.scopes }, scopes);
  peer.ws.close();
  return hello;
}

async function pairedDevice(deviceId: string): Promise<{ roles: string[]; scopes?: string[]; displayName?: string } | undefined> {
  const result = await runTether(['devices', 'list', '--json', '--state-dir', gateway.stateDir]);
  const list = JSON.parse(result.stdout) as { paired: { deviceId: string; roles: string[]; scopes?: string[]; displayName?: string }[] };
  return list.paired.find((device) => device.deviceId === deviceId);
}

function wsClose(origin: string): Promise<{ code: number; reason: string; frames: number }> {
  const ws = new WebSocket(gateway.url, { headers: { Origin: origin } });
  let frames = 0;
  ws.on('message', () => frames++);
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), frames })));
}

describe('serving the page', () => {
  it('GET / is the page with a strict CSP, nosniff and no-store', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${gateway.port}`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const page = await response.text();
    expect(page).not.toMatch(/<script>|<style>|\son\w+=/);
  });

  it('its hashed assets are immutable, and come with the same headers', async () => {
    const page = await (await fetch(`${base}/`)).text();
    const assets = [...page.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(2);
    for (const path of assets) {
      expect(path).toMatch(/^\/ui\/(main|styles)-[A-Z0-9]{8}\.(js|css)$/);
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
  });

  it.each([
    '/ui/../gateway.token',
    '/ui/%2e%2e/gateway.token',
    '/ui/%2E%2E/gateway.token',
    '/ui/..%2fgateway.token',
    '/ui/..%2Fgateway.token',
    '/ui/%2e%2e%2fgateway.token',
    '/ui/..\\gateway.token',
    '/ui/..%5cgateway.token',
    '/ui/%252e%252e%252fgateway.token',
    '/ui//etc/passwd',
    '/ui/%2fetc%2fpasswd',
    '/ui/gateway.token',
    '/ui/index.html',
    '/ui/.',
    '/ui/',
    '/ui/main.js%00.png',
    '/gateway.token',
    '/../gateway.token',
    '//etc/passwd',
    'http://127.0.0.1/gateway.token',
    '/ui/../../../../etc/passwd',
    '/media/%2e%2e',
    '/healthz/..',
    '/ui/x/../main.js',
  ])('%s serves no file outside the build', async (target) => {
    const { status, text } = await rawGet(target);
    expect([400, 404]).toContain(status);
    const token = (await import('node:fs')).readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();
    expect(text).not.toContain(token);
    expect(text).not.toContain('root:');
    expect(text).toMatch(/application\/json/);
  });
});

describe('the login exchange', () => {
  it('a dashboard link pairs the browser key as an operator device, once; the replay is refused', async () => {
    const link = await loginLink();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gateway.port}/#code=v2\\.`));
    expect(link).not.toContain(sharedToken());
    const key = newTestKey();
    const first = await login(codeOf(link), { origin: base }, undefined, key);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const text = await first.text();
    expect(text).not.toContain(sharedToken());
    const answer = JSON.parse(text) as DeviceLogin;
    expect(answer).toMatchObject({ auth: 'device', deviceId: key.deviceId });
    expect(answer.scopes).toEqual(['operator.admin', 'operator.approvals', 'operator.pairing', 'operator.read', 'operator.write']);
    expect(answer.deviceToken).toMatch(/\S{20,}/);
    const device = await pairedDevice(key.deviceId);
    expect(device).toMatchObject({ displayName: 'Control UI', roles: ['operator'] });
    const again = await login(codeOf(link), { origin: base }, undefined, key);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('LOGIN_CODE_INVALID');
  });

  it('the paired browser connects with its signature and device token, holding exactly the scopes granted', async () => {
    const key = newTestKey();
    const answer = (await (await login(codeOf(await loginLink()), {}, undefined, key)).json()) as DeviceLogin;
    const hello = await connectAsPage(key, answer);
    expect(hello.ok, JSON.stringify(hello)).toBe(true);
    expect(hello.payload.auth.scopes).toEqual(answer.scopes);
    // Another key with the same token is nobody: the token alone admits nothing.
    const thief = await connectAsPage(newTestKey(), { ...answer, deviceId: newTestKey().deviceId });
    expect(thief.ok).toBe(false);
    // Asking for more than a narrower login granted is a scope upgrade nobody approved.
    const narrow = (await (await login(codeOf(await loginLink(['--scopes', 'operator.read,operator.pairing'])), {}, undefined, key)).json()) as DeviceLogin;
    expect(narrow.scopes).toEqual(['operator.pairing', 'operator.read']);
    const greedy = await connectAsPage(key, narrow, [...narrow.scopes, 'operator.admin']);
    expect(greedy.ok).toBe(false);
    expect(greedy.error.details.code).toBe('PAIRING_REQUIRED');
  });

  it('a --scopes operator.read link grants only that, and re-pairs a browser that held more with less', async () => {
    const key = newTestKey();
    const full = (await (await login(codeOf(await loginLink()), {}, undefined, key)).json()) as DeviceLogin;
    const readOnly = (await (await login(codeOf(await loginLink(['--scopes', 'operator.read'])), {}, undefined, key)).json()) as DeviceLogin;
    expect(readOnly.scopes).toEqual(['operator.read']);
    expect((await pairedDevice(key.deviceId))?.scopes).toEqual(['operator.read']);
    expect((await connectAsPage(key, readOnly)).ok).toBe(true);
    // Neither the old token nor the new one can ask for the scopes the read-only login took away.
    expect((await connectAsPage(key, readOnly, full.scopes)).ok).toBe(false);
    expect((await connectAsPage(key, full)).ok).toBe(false);
  });

  it('signs in once with the shared token as a Bearer header; a wrong token is refused', async () => {
    const key = newTestKey();
    const response = await login(undefined, { authorization: `Bearer ${sharedToken()}` }, undefined, key);
    expect(response.status).toBe(200);
    expect(((await response.json()) as DeviceLogin).deviceId).toBe(key.deviceId);
    const wrong = await login(undefined, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('LOGIN_TOKEN_INVALID');
  });

  it("another device's public key, without that device's signature, pairs nothing and spends no code", async () => {
    const code = codeOf(await loginLink());
    const victim = newTestKey();
    const attacker = newTestKey();
    const cases = [
      { publicKey: victim.publicKey },
      { publicKey: victim.publicKey, signature: attacker.sign(buildUiLoginPayload(victim.publicKey, code)) },
      { publicKey: victim.publicKey, signature: victim.sign(buildUiLoginPayload(victim.publicKey, 'another code')) },
      { publicKey: victim.publicKey, signature: 'A'.repeat(86) },
      { publicKey: victim.publicKey, signature: '<script>' },
    ];
    for (const fields of cases) {
      const response = await login(undefined, {}, JSON.stringify({ code, ...fields }));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('LOGIN_SIGNATURE_INVALID');
    }
    expect(await pairedDevice(victim.deviceId)).toBeUndefined();
    expect((await login(code)).status).toBe(200);
  });

  it("a node's own key cannot log in as a browser: 409 KEY_IN_USE, the node's pairing untouched, the code given back", async () => {
    const nodeKey = newTestKey();
    const peer = await openRawPeer(gateway.url);
    peer.send(signedConnect(nodeKey, peer.challenge, { commands: ['system.run'], displayName: 'a-node', token: sharedToken() }));
    expect((await peer.nextFrame()).ok).toBe(true);
    peer.ws.close();
    const before = await pairedDevice(nodeKey.deviceId);
    expect(before?.roles).toEqual(['node']);
    const code = codeOf(await loginLink(['--scopes', 'operator.read']));
    const refused = await login(code, {}, undefined, nodeKey);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('KEY_IN_USE');
    expect(await pairedDevice(nodeKey.deviceId)).toEqual(before);
    expect((await login(code)).status).toBe(200);
  });

  it('wrong gateway tokens from one address are stopped after ten a minute', async () => {
    // Earlier cases in this file may have spent some of this address's ten already.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(undefined, { authorization: `Bearer wrong-${i}` })).status);
    const refused = statuses.indexOf(429);
    expect(refused).toBeGreaterThan(0);
    expect(statuses.slice(0, refused).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(refused).every((status) => status === 429)).toBe(true);
    // Even the right token waits now: the address is out of guesses for the minute.
    expect((await login(undefined, { authorization: `Bearer ${sharedToken()}` })).status).toBe(429);
  });

  it('a bad public key is refused before the code is spent', async () => {
    const code = codeOf(await loginLink());
    for (const publicKey of [undefined, 42, '', 'A'.repeat(42), 'A'.repeat(44), '-----BEGIN PUBLIC KEY-----', '<img src=x onerror=alert(1)>', 'A'.repeat(5000)]) {
      const response = await login(undefined, {}, JSON.stringify({ code, publicKey, signature: 'A'.repeat(86) }));
      expect([400, 413]).toContain(response.status);
      if (response.status === 400) expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_PUBLIC_KEY');
    }
    expect((await login(code)).status).toBe(200);
  });

  it('a page on another origin cannot trade a code, even a valid one, and the code stays unused', async () => {
    const code = codeOf(await loginLink());
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${gateway.port + 1}`, `https://127.0.0.1:${gateway.port}`, `http://127.0.0.1:${gateway.port}.evil.example`]) {
      const response = await login(code, { origin });
      expect(response.status).toBe(403);
    }
    expect((await login(code, { origin: base })).status).toBe(200);
  });

  it.each([
    ['a forged code', { code: 'v2.zzzzzzzz.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA.rwpax.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
    ['a first-version code', { code: 'v1.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
    ['the token itself as the code', 'TOKEN', 401],
    ['no code', {}, 401],
    ['an array', [1, 2], 400],
    ['HTML', { code: '<img src=x onerror=alert(1)>' }, 401],
  ])('refuses %s', async (_name, body, status) => {
    const key = newTestKey();
    const signed = (code: unknown) => ({ code, publicKey: key.publicKey, signature: key.sign(buildUiLoginPayload(key.publicKey, typeof code === 'string' ? code : '')) });
    const raw = JSON.stringify(body === 'TOKEN' ? signed(sharedToken()) : Array.isArray(body) ? body : signed((body as { code?: unknown }).code));
    const response = await login(undefined, {}, raw);
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain(sharedToken());
    expect(await pairedDevice(key.deviceId)).toBeUndefined();
  });

  it('refuses bodies that are not small JSON', async () => {
    expect((await login(undefined, {}, 'code=x')).status).toBe(400);
    expect((await fetch(`${base}/ui/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"code":"x"}' })).status).toBe(415);
    expect((await login(undefined, {}, JSON.stringify({ code: 'x'.repeat(5000) }))).status).toBe(413);
    expect((await fetch(`${base}/ui/login`)).status).toBe(405);
  });
});

describe('tether dashboard', () => {
  it('refuses to make a link for plain ws:// beyond loopback (the page would fetch the token in the clear)', async () => {
    const refused = await runTether(['dashboard', '--no-open', '--url', 'ws://192.0.2.1:18789', '--token', 'some-token']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing plaintext.*--insecure/s);
    expect(refused.stdout + refused.stderr).not.toContain('code=');
    const accepted = await runTether(['dashboard', '--no-open', '--insecure', '--url', 'ws://192.0.2.1:18789', '--token', 'some-token']);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/http:\/\/192\.0\.2\.1:18789\/#code=v2\./);
    expect(accepted.stdout).not.toContain('some-token');
  });

  it('refuses --scopes the page cannot be granted (unknown ones, node roles)', async () => {
    for (const scopes of ['operator.root', 'operator.read,root', 'node', 'operator.read\nx']) {
      const result = await runTether(['dashboard', '--no-open', '--state-dir', gateway.stateDir, '--scopes', scopes]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/cannot be granted to the Control UI/);
      expect(result.stdout).not.toContain('code=');
    }
  });

  it('without a token it says where to get one', async () => {
    const result = await runTether(['dashboard', '--no-open', '--state-dir', tempDirFor()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no gateway token here/);
  });
});

describe('the page’s own origin on the WebSocket', () => {
  it.each([`http://127.0.0.1:PORT`, `http://localhost:PORT`, `HTTP://LOCALHOST:PORT`])('%s gets a challenge', async (origin) => {
    const peer = await openRawPeer(gateway.url, { headers: { Origin: origin.replace('PORT', String(gateway.port)) } });
    expect(peer.challenge.nonce).toBeTruthy();
    peer.ws.close();
  });

  it.each([
    'http://127.0.0.1:OTHER',
    'https://127.0.0.1:PORT',
    'http://127.0.0.2:PORT',
    'http://localhost.evil.example:PORT',
    'http://evil.example:PORT',
    'http://127.0.0.1:PORT/ui/',
    'null',
  ])('%s is refused before any challenge', async (origin) => {
    const closed = await wsClose(origin.replace('PORT', String(gateway.port)).replace('OTHER', String(gateway.port + 1)));
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/origin not allowed/);
    expect(closed.frames).toBe(0);
  });
});
