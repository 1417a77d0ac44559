/**
 * The page's WebSocket to its own gateway, the same frames as the CLI's GatewayClient
 * (protocol/src/client/): wait for `connect.challenge`, answer with `connect` as the paired operator
 * device this browser is (the challenge signed with its key, its device token, the scopes its login
 * granted), then `req`/`res` by id and `event`s. Reconnects with a growing delay; the caller re-reads
 * state on every (re)connect.
 */
import { SUPPORTED_PROTOCOLS } from '../../../protocol/src/constants.js';
import { buildDeviceAuthPayloadV3 } from '../../../protocol/src/device-auth-payload.js';
import { UI_CLIENT } from '../../../protocol/src/ui-login-grant.js';
import { browserIdentity } from './device-identity.js';
import type { Credential } from './login.js';

/** `code` is the refusal's stable detail code (for example PAIRING_REQUIRED), when the gateway gave one. */
export type SocketStatus = { state: 'connecting' } | { state: 'online' } | { state: 'offline'; reason: string } | { state: 'refused'; reason: string; code?: string };

const CLIENT = { ...UI_CLIENT, version: '0.1.0' };

export interface GatewaySocketOptions {
  credential: Credential;
  onStatus(status: SocketStatus): void;
  onEvent(event: string, payload: unknown): void;
  /** Called after each successful connect (first and every reconnect) with the scopes granted. */
  onReady(scopes: string[]): void;
}

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: number;
}

const REQUEST_TIMEOUT_MS = 15_000;

/** A refusal from the gateway: its error code and details travel with the message. */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
  }
}

export class GatewaySocket {
  private ws: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private retryMs = 500;
  private stopped = false;
  private admitted = false;

  constructor(private readonly options: GatewaySocketOptions) {}

  start(): void {
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close(1000, 'page closed');
  }

  /**
   * Sends one last request and stops reconnecting: for a request that ends this page's own pairing,
   * where the gateway may close the socket before it answers. Resolves with the answer, or with the
   * close that came instead of one.
   */
  async lastRequest(method: string, params: unknown): Promise<{ answered: true } | { answered: false; closeCode: number; closeReason: string }> {
    this.stopped = true;
    const closed = new Promise<{ answered: false; closeCode: number; closeReason: string }>((resolve) => {
      this.ws?.addEventListener('close', (event) => resolve({ answered: false, closeCode: event.code, closeReason: event.reason }), { once: true });
    });
    // A request failed by the close is answered by the close's code and reason.
    const answered = this.request(method, params).then(
      () => ({ answered: true as const }),
      (failure: Error) => (this.ws?.readyState === WebSocket.OPEN ? Promise.reject(failure) : closed),
    );
    try {
      return await Promise.race([answered, closed]);
    } finally {
      this.ws?.close(1000, 'page closed');
    }
  }

  isOnline(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.admitted;
  }

  request<T>(method: string, params: unknown = {}, options: { timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected to the gateway'));
    const id = `ui-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} got no answer in ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (payload: unknown) => void, reject, timer });
      ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  private open(): void {
    this.options.onStatus({ state: 'connecting' });
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/`);
    this.ws = ws;
    this.admitted = false;
    ws.onmessage = (message) => {
      let frame: { type?: unknown; id?: unknown; ok?: unknown; payload?: unknown; error?: { message?: unknown; code?: unknown; details?: { code?: unknown } }; event?: unknown };
      try {
        frame = JSON.parse(String(message.data)) as typeof frame;
      } catch {
        return;
      }
      if (frame.type === 'event' && typeof frame.event === 'string') {
        if (frame.event === 'connect.challenge') {
          const nonce = (frame.payload as { nonce?: unknown } | undefined)?.nonce;
          return void this.sendConnect(ws, typeof nonce === 'string' ? nonce : '').catch((failure: Error) => {
            this.options.onStatus({ state: 'refused', reason: `this browser could not sign in: ${failure.message}` });
            this.stopped = true;
            ws.close();
          });
        }
        return this.options.onEvent(frame.event, frame.payload);
      }
      if (frame.type !== 'res' || typeof frame.id !== 'string') return;
      if (frame.id === 'connect') {
        if (frame.ok === true) {
          this.admitted = true;
          this.retryMs = 500;
          const granted = (frame.payload as { auth?: { scopes?: unknown } } | undefined)?.auth?.scopes;
          this.options.onStatus({ state: 'online' });
          this.options.onReady(Array.isArray(granted) ? granted.filter((scope): scope is string => typeof scope === 'string') : []);
        } else {
          const reason = typeof frame.error?.message === 'string' ? frame.error.message : 'the gateway refused the login';
          const code = frame.error?.details?.code;
          this.options.onStatus({ state: 'refused', reason, ...(typeof code === 'string' && { code }) });
          this.stopped = true;
          ws.close();
        }
        return;
      }
      const waiting = this.pending.get(frame.id);
      if (!waiting) return;
      this.pending.delete(frame.id);
      window.clearTimeout(waiting.timer);
      if (frame.ok === true) waiting.resolve(frame.payload);
      else {
        const error = frame.error ?? {};
        const details = typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : undefined;
        waiting.reject(new GatewayRequestError(typeof error.message === 'string' ? error.message : 'the gateway refused the request', typeof error.code === 'string' ? error.code : undefined, details));
      }
    };
    ws.onclose = (event) => {
      const wasAdmitted = this.admitted;
      this.admitted = false;
      for (const [id, waiting] of this.pending) {
        window.clearTimeout(waiting.timer);
        waiting.reject(new Error('the connection to the gateway closed'));
        this.pending.delete(id);
      }
      if (this.stopped) return;
      // A policy close before admission (1008: origin or auth) will not get better by retrying.
      if (!wasAdmitted && event.code === 1008) {
        this.options.onStatus({ state: 'refused', reason: event.reason || 'the gateway refused this page' });
        return;
      }
      this.options.onStatus({ state: 'offline', reason: event.reason || `connection closed (${event.code})` });
      window.setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private async sendConnect(ws: WebSocket, nonce: string): Promise<void> {
    const { credential } = this.options;
    const base = {
      minProtocol: SUPPORTED_PROTOCOLS[0],
      maxProtocol: SUPPORTED_PROTOCOLS[SUPPORTED_PROTOCOLS.length - 1],
      client: CLIENT,
      role: 'operator',
      scopes: credential.scopes,
      caps: ['tool-events'],
    };
    if (credential.auth === 'none') return ws.send(JSON.stringify({ type: 'req', id: 'connect', method: 'connect', params: base }));
    const identity = await browserIdentity();
    const signedAt = Date.now();
    const payload = buildDeviceAuthPayloadV3({
      deviceId: credential.deviceId,
      clientId: UI_CLIENT.id,
      clientMode: UI_CLIENT.mode,
      role: 'operator',
      scopes: credential.scopes,
      signedAtMs: signedAt,
      token: credential.deviceToken,
      nonce,
      platform: UI_CLIENT.platform,
    });
    const device = { id: credential.deviceId, publicKey: identity.publicKey, signature: await identity.sign(payload), signedAt, nonce };
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ type: 'req', id: 'connect', method: 'connect', params: { ...base, auth: { deviceToken: credential.deviceToken }, device } }));
  }
}
