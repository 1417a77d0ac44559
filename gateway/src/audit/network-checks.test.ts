import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { modelEndpointCheck, portCheck, skewCheck } from './network-checks.js';

const servers: (Server | TcpServer)[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function listen<T extends Server | TcpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => sockets.add(socket));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('portCheck', () => {
  it('a port held by something that is not a gateway is a problem', async () => {
    const port = await listen(createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH\r\n')));
    const check = await portCheck('127.0.0.1', port, false, 2_000);
    expect(check).toMatchObject({ id: 'port', status: 'problem' });
    expect(check.fix).toContain(String(port));
  });
  it('an HTTP server that is not ours is a problem; one that answers our /healthz is ours', async () => {
    const other = await listen(createServer((_q, r) => r.end('hello')));
    expect((await portCheck('127.0.0.1', other, false, 2_000)).status).toBe('problem');
    const ours = await listen(createServer((_q, r) => r.end(JSON.stringify({ ok: true, status: 'live', uptimeMs: 1 }))));
    expect((await portCheck('127.0.0.1', ours, false, 2_000)).status).toBe('ok');
  });
  it('a free port is ok', async () => {
    const server = createTcpServer();
    const port = await listen(server);
    await new Promise((r) => server.close(r));
    servers.length = 0;
    expect((await portCheck('127.0.0.1', port, false)).status).toBe('ok');
  });
});

describe('skewCheck', () => {
  it('beyond the signature skew is a problem, half of it a warning, a second is fine', () => {
    expect(skewCheck({ dateMs: 0, localMidMs: 200_000 }).status).toBe('problem');
    expect(skewCheck({ dateMs: 200_000, localMidMs: 0 }).status).toBe('problem');
    expect(skewCheck({ dateMs: 0, localMidMs: 80_000 }).status).toBe('warn');
    expect(skewCheck({ dateMs: 0, localMidMs: 1_500 }).status).toBe('ok');
    expect(skewCheck({ localMidMs: 0 }).status).toBe('skipped');
  });
});

describe('modelEndpointCheck', () => {
  it('a local server answering /models is ok; the key is sent but never shown', async () => {
    let auth: string | undefined;
    const port = await listen(createServer((q, r) => {
      auth = q.headers.authorization;
      r.end(q.url === '/v1/models' ? '{"data":[]}' : '');
    }));
    const check = await modelEndpointCheck(`http://127.0.0.1:${port}/v1`, 'sk-secret-key-value', 2_000);
    expect(check.status).toBe('ok');
    expect(auth).toBe('Bearer sk-secret-key-value');
    expect(JSON.stringify(check)).not.toContain('sk-secret');
  });
  it('a refused key and an unreachable endpoint are problems', async () => {
    const port = await listen(createServer((_q, r) => {
      r.statusCode = 401;
      r.end('no');
    }));
    expect((await modelEndpointCheck(`http://127.0.0.1:${port}/v1`, 'k', 2_000)).status).toBe('problem');
    const dead = createTcpServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    servers.length = 0;
    expect((await modelEndpointCheck(`http://127.0.0.1:${deadPort}/v1`, undefined, 2_000)).status).toBe('problem');
  });
});
