/**
 * The Control UI's HTTP side against a real gateway process, written the way an attacker would try it:
 * paths that climb out of /ui/, login codes replayed, forged or oversized, and pages on other origins.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanup, runTether, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';

const tempDirFor = () => tempDir('tether-ui-empty-');
import { openRawPeer } from '../helpers/raw-client.js';

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

async function loginLink(): Promise<string> {
  const result = await runTether(['dashboard', '--no-open', '--json', '--state-dir', gateway.stateDir]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { url: string }).url;
}

const codeOf = (link: string) => new URL(link).hash.replace(/^#code=/, '');

function login(code: unknown, headers: Record<string, string> = {}, raw?: string) {
  return fetch(`${base}/ui/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw ?? JSON.stringify({ code }) });
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
  it('a dashboard link logs in once; the replay is refused', async () => {
    const link = await loginLink();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${gateway.port}/#code=v1\\.`));
    const token = (await import('node:fs')).readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();
    expect(link).not.toContain(token);
    const first = await login(codeOf(link), { origin: base });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({ token });
    const again = await login(codeOf(link), { origin: base });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('LOGIN_CODE_INVALID');
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
    ['a forged code', { code: 'v1.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 401],
    ['the token itself as the code', 'TOKEN', 401],
    ['no code', {}, 401],
    ['an array', [1, 2], 401],
    ['HTML', { code: '<img src=x onerror=alert(1)>' }, 401],
  ])('refuses %s', async (_name, body, status) => {
    const token = (await import('node:fs')).readFileSync(`${gateway.stateDir}/gateway.token`, 'utf8').trim();
    const raw = body === 'TOKEN' ? JSON.stringify({ code: token }) : JSON.stringify(body);
    const response = await login(undefined, {}, raw);
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain(token);
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
    expect(accepted.stdout).toMatch(/http:\/\/192\.0\.2\.1:18789\/#code=v1\./);
    expect(accepted.stdout).not.toContain('some-token');
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
