/** The deep probes against a hostile stand-in: a server that accepts every Origin and leaks the token must be reported. */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeForeignOrigin, probeHttpEdge } from './deep-probes.js';

const SECRET = 'owner-token-abcdefghijklmnop';
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function careless(): Promise<string> {
  const server = createServer((request, response) => {
    if (request.url === '/healthz') return response.end('{"ok":true,"status":"live"}');
    response.end(`error: token ${SECRET} did not match`);
  });
  server.on('connection', (socket) => sockets.add(socket));
  server.on('upgrade', (_request, socket: Socket) => {
    sockets.add(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n');
    socket.write(Buffer.from([0x81, 0x02, 0x7b, 0x7d]));
  });
  servers.push(server);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return `ws://127.0.0.1:${port}`;
}

describe('deep probes', () => {
  it('a server that answers unknown paths 200 and echoes the token is reported', async () => {
    const findings = await probeHttpEdge({ url: await careless(), secrets: [SECRET], timeoutMs: 2_000 });
    const ids = findings.map((f) => [f.id, f.severity]);
    expect(ids).toContainEqual(['deep.http-unknown-path', 'warn']);
    expect(ids).toContainEqual(['deep.http-secret-in-error', 'critical']);
  });
  it('a server that accepts a foreign Origin on HTTP and WebSocket is critical twice', async () => {
    const findings = await probeForeignOrigin({ url: await careless(), timeoutMs: 2_000 });
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['deep.origin-http-accepted', 'critical'],
      ['deep.origin-ws-accepted', 'critical'],
    ]);
  });
});
