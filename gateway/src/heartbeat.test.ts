import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { Heartbeat } from './heartbeat.js';

/** Just enough of a ws socket: readyState, ping, terminate, and the events Heartbeat listens to. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  pings = 0;
  terminated = false;
  ping(): void {
    this.pings++;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

const asWs = (socket: FakeSocket) => socket as unknown as WebSocket;

describe('Heartbeat', () => {
  it('pings every beat and terminates a socket after two unanswered pings', () => {
    const heartbeat = new Heartbeat();
    const silent = new FakeSocket();
    heartbeat.watch(asWs(silent));
    expect(heartbeat.beat([asWs(silent)])).toBe(0);
    expect(heartbeat.beat([asWs(silent)])).toBe(0);
    expect(silent.pings).toBe(2);
    expect(heartbeat.beat([asWs(silent)])).toBe(1);
    expect(silent.terminated).toBe(true);
  });

  it('keeps a socket that answers, with a pong or any frame', () => {
    const heartbeat = new Heartbeat();
    const alive = new FakeSocket();
    heartbeat.watch(asWs(alive));
    for (let beat = 0; beat < 10; beat++) {
      heartbeat.beat([asWs(alive)]);
      alive.emit(beat % 2 === 0 ? 'pong' : 'message');
    }
    expect(alive.terminated).toBe(false);
    expect(alive.pings).toBe(10);
  });

  it('skips sockets that are no longer open', () => {
    const heartbeat = new Heartbeat();
    const closing = new FakeSocket();
    closing.readyState = 2;
    heartbeat.watch(asWs(closing));
    heartbeat.beat([asWs(closing)]);
    expect(closing.pings).toBe(0);
  });
});
