/**
 * Gateway-side liveness: every socket is pinged each tick interval, and one that missed two pongs is
 * terminated. A node whose network died without a FIN (power loss, Wi-Fi drop, NAT expiry) is then
 * offline within about two ticks, and its in-flight invokes fail at once with a retryable error
 * (the close handler does that) instead of waiting their whole deadline.
 */
import type { WebSocket } from 'ws';

const MISSED_PONGS_ALLOWED = 2;

export class Heartbeat {
  private readonly missed = new WeakMap<WebSocket, number>();

  /** Starts counting for a new socket; a pong (or any frame) proves it alive. */
  watch(ws: WebSocket): void {
    this.missed.set(ws, 0);
    const alive = () => this.missed.set(ws, 0);
    ws.on('pong', alive);
    ws.on('message', alive);
  }

  /** One beat over every socket: terminate the silent ones, ping the rest. Returns how many were cut. */
  beat(sockets: Iterable<WebSocket>): number {
    let terminated = 0;
    for (const ws of sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      const missed = this.missed.get(ws) ?? 0;
      if (missed >= MISSED_PONGS_ALLOWED) {
        ws.terminate();
        terminated++;
        continue;
      }
      this.missed.set(ws, missed + 1);
      try {
        ws.ping();
      } catch {
        ws.terminate();
        terminated++;
      }
    }
    return terminated;
  }
}
