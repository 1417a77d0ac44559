import { parseFrame } from '@tether/protocol';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { Broadcaster } from './broadcast.js';
import { Connection, type ConnectionSession } from './connection.js';

const OPEN = 1;

function fakeSocket() {
  const socket = {
    OPEN,
    readyState: OPEN,
    bufferedAmount: 0,
    sent: [] as string[],
    closes: [] as Array<{ code: number; reason: string }>,
    send(text: string) {
      socket.sent.push(text);
    },
    close(code: number, reason: string) {
      socket.closes.push({ code, reason });
      socket.readyState = 3;
    },
    terminate() {
      socket.readyState = 3;
    },
  };
  return socket;
}

function client(session: Partial<ConnectionSession> | undefined) {
  const socket = fakeSocket();
  const connection = new Connection(socket as unknown as WebSocket, { connId: 'c', remoteIp: '127.0.0.1', isLoopbackPeer: true, nonce: 'n' });
  if (session) {
    connection.session = { role: 'operator', scopes: new Set(), clientId: 'cli', clientMode: 'cli', protocol: 4, connectedAtMs: 0, ownerToken: false, ...session };
  }
  return { connection, socket, frames: () => socket.sent.map((text) => JSON.parse(text) as Record<string, unknown>) };
}

describe('Broadcaster', () => {
  it('numbers events per connection, starting at 1, and emits valid closed event frames', () => {
    const broadcaster = new Broadcaster();
    const a = client({ role: 'node' });
    const b = client({ role: 'operator' });
    broadcaster.add(a.connection);
    broadcaster.broadcast('tick', { ts: 1 });
    broadcaster.add(b.connection);
    broadcaster.broadcast('tick', { ts: 2 });
    expect(a.frames()).toEqual([
      { type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1 },
      { type: 'event', event: 'tick', payload: { ts: 2 }, seq: 2 },
    ]);
    expect(b.frames()).toEqual([{ type: 'event', event: 'tick', payload: { ts: 2 }, seq: 1 }]);
    for (const text of [...a.socket.sent, ...b.socket.sent]) expect(parseFrame(text).ok).toBe(true);
  });

  it('adds stateVersion only when asked', () => {
    const broadcaster = new Broadcaster();
    const a = client({ role: 'operator' });
    broadcaster.add(a.connection);
    broadcaster.presenceVersion = 2;
    broadcaster.healthVersion = 6;
    broadcaster.broadcast('presence', { presence: [] }, 'operators', { withStateVersion: true });
    expect(a.frames()[0]).toEqual({ type: 'event', event: 'presence', payload: { presence: [] }, seq: 1, stateVersion: { presence: 2, health: 6 } });
    expect(parseFrame(a.socket.sent[0]!).ok).toBe(true);
  });

  it.each([
    ['all', 'all' as const, ['node', 'reader', 'pairer', 'admin']],
    ['operators', 'operators' as const, ['reader', 'pairer', 'admin']],
    ['scope operator.pairing', { scope: 'operator.pairing' }, ['pairer', 'admin']],
  ])('audience %s', (_name, audience, expected) => {
    const broadcaster = new Broadcaster();
    const clients = {
      node: client({ role: 'node', scopes: new Set(['operator.pairing']) }),
      reader: client({ role: 'operator', scopes: new Set(['operator.read']) }),
      pairer: client({ role: 'operator', scopes: new Set(['operator.pairing']) }),
      admin: client({ role: 'operator', scopes: new Set(['operator.admin']) }),
      unauthenticated: client(undefined),
    };
    for (const c of Object.values(clients)) broadcaster.add(c.connection);
    broadcaster.broadcast('device.pair.requested', { requestId: 'r' }, audience);
    const received = Object.entries(clients)
      .filter(([, c]) => c.socket.sent.length > 0)
      .map(([name]) => name);
    expect(received).toEqual(expected);
  });

  it('skips dropIfSlow events for a slow reader but still consumes the seq', () => {
    const broadcaster = new Broadcaster();
    const a = client({ role: 'operator' });
    broadcaster.add(a.connection);
    broadcaster.broadcast('tick', { ts: 1 }, 'all', { dropIfSlow: true });
    a.socket.bufferedAmount = 50 * 1024 * 1024 + 1;
    broadcaster.broadcast('tick', { ts: 2 }, 'all', { dropIfSlow: true });
    a.socket.bufferedAmount = 0;
    broadcaster.broadcast('tick', { ts: 3 }, 'all', { dropIfSlow: true });
    expect(a.frames().map((f) => f.seq)).toEqual([1, 3]);
    expect(a.socket.closes).toEqual([]);
  });

  it('closes a slow reader with 1008 "slow consumer" for events that must not be dropped', () => {
    const broadcaster = new Broadcaster();
    const a = client({ role: 'operator' });
    broadcaster.add(a.connection);
    a.socket.bufferedAmount = 50 * 1024 * 1024 + 1;
    broadcaster.broadcast('shutdown', { reason: 'restart' });
    expect(a.socket.sent).toEqual([]);
    expect(a.socket.closes).toEqual([{ code: 1008, reason: 'slow consumer' }]);
  });

  it('stops sending to removed connections', () => {
    const broadcaster = new Broadcaster();
    const a = client({ role: 'operator' });
    broadcaster.add(a.connection);
    broadcaster.delete(a.connection);
    broadcaster.broadcast('tick', { ts: 1 });
    expect(a.socket.sent).toEqual([]);
    expect(broadcaster.size).toBe(0);
  });
});
