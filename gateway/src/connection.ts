/**
 * One socket's life after the upgrade: it knows how to send frames, number broadcast events, and
 * protect the gateway from a slow reader. Admission and dispatch live elsewhere.
 */
import type { WebSocket } from 'ws';
import { CloseCode, MAX_BUFFERED_BYTES, type ErrorShape, type Role } from '@tether/protocol';

export interface ConnectionSession {
  role: Role;
  scopes: ReadonlySet<string>;
  /** Device id when the client proved a device key; nodes always have one. */
  deviceId?: string;
  clientId: string;
  clientMode: string;
  displayName?: string;
  platform?: string;
  protocol: number;
  connectedAtMs: number;
  /**
   * Admitted with the shared token: the owner, who may open a session with any scope at will. Such a
   * session may approve anything, whatever scopes it chose to ask for (least privilege is its choice).
   */
  ownerToken: boolean;
  /** Client caps from the connect (e.g. `tool-events`: this client wants its runs' tool events). */
  caps?: ReadonlySet<string>;
}

export class Connection {
  readonly connId: string;
  readonly remoteIp: string;
  /** Loopback peer with no proxy headers. Silent pairing needs this and the shared token. */
  readonly isLoopbackPeer: boolean;
  readonly nonce: string;
  session: ConnectionSession | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    init: { connId: string; remoteIp: string; isLoopbackPeer: boolean; nonce: string },
  ) {
    this.connId = init.connId;
    this.remoteIp = init.remoteIp;
    this.isLoopbackPeer = init.isLoopbackPeer;
    this.nonce = init.nonce;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  sendResult(id: string, payload: unknown): void {
    this.sendRaw(JSON.stringify({ type: 'res', id, ok: true, payload }));
  }

  sendError(id: string, error: ErrorShape): void {
    this.sendRaw(JSON.stringify({ type: 'res', id, ok: false, error }));
  }

  /** Targeted events (challenge, invoke requests) carry no seq, as in OpenClaw. */
  sendEvent(event: string, payload: unknown): void {
    this.sendRaw(JSON.stringify({ type: 'event', event, payload }));
  }

  /**
   * Broadcast events carry a per-connection seq. A reader that lets 50 MiB pile up is cut off so it
   * cannot stall the gateway; `dropIfSlow` events are skipped instead (the seq gap tells the client).
   */
  sendBroadcast(serialise: (seq: number) => string, dropIfSlow = false): void {
    if (!this.isOpen) return;
    const seq = ++this.seq;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      if (!dropIfSlow) this.close(CloseCode.POLICY_VIOLATION, 'slow consumer');
      return;
    }
    this.sendRaw(serialise(seq));
  }

  sendRaw(text: string): void {
    if (!this.isOpen) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(CloseCode.POLICY_VIOLATION, 'slow consumer');
      return;
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are capped at 123 bytes by the WebSocket spec.
    const trimmed = Buffer.byteLength(reason) > 123 ? `${Buffer.from(reason).subarray(0, 120).toString()}...` : reason;
    try {
      this.ws.close(code, trimmed);
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close handshake must not hold the socket open.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }
}
