/**
 * GatewayClient: challenge → signed `connect` → `hello-ok`, then requests with deadlines, events, a
 * tick watchdog and (with `start()`) reconnection with jittered backoff, including quiet retries
 * while pairing is pending. The CLI, the node-agent, the tests and the benchmarks all use it.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectChallenge, HelloOk } from '../connect.js';
import { PAIRING_RETRY_MS, TICK_INTERVAL_MS, type Role } from '../constants.js';
import type { DeviceSigner } from '../device-auth.js';
import { CloseCode, DetailCode, ErrorCode, GatewayError, isRecord } from '../errors.js';
import type { EventFrame, ResponseFrame } from '../frames.js';
import { parseGatewayFrame } from '../frame-guards.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { buildConnectParams } from './connect-params.js';
import { PinMismatchError, type TlsPin } from './tls-pin.js';
import { createWebSocketTransport, webSocketTransport, type Transport, type TransportFactory } from './transport.js';

export interface ClientIdentity {
  id: string;
  version: string;
  platform: string;
  mode: string;
  displayName?: string;
  deviceFamily?: string;
  instanceId?: string;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'pairing-pending' | 'waiting' | 'closed';

export interface ClientStatus {
  state: ClientState;
  /** Why we are not connected, when we are not. */
  error?: GatewayError;
  /** Delay before the next attempt, when one is scheduled. */
  retryInMs?: number;
}

export interface GatewayClientOptions {
  url: string;
  client: ClientIdentity;
  role?: Role;
  scopes?: string[];
  caps?: string[];
  commands?: string[];
  permissions?: Record<string, boolean>;
  pathEnv?: string;
  /** Sent as ConnectParams.userAgent, e.g. `tether-node/0.1.0`. */
  userAgent?: string;
  /** The gateway's shared token (the owner's credential). */
  token?: string;
  /** A device token this device received earlier in `hello-ok.auth.deviceToken`. */
  deviceToken?: string;
  /** A setup code's bootstrap token (decodeSetupCode): sent as auth.bootstrapToken until a device token is issued. */
  bootstrapToken?: string;
  identity?: DeviceSigner;
  minProtocol?: number;
  maxProtocol?: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  transport?: TransportFactory;
  /** For `wss://`: connect only to a gateway presenting this certificate (checked in the TLS handshake). */
  tlsPin?: TlsPin;
  /**
   * Called before reconnecting after the pin refused a certificate: returns the pin to use now (e.g.
   * after following a rotation the pinned certificate signed), or throws to keep refusing.
   */
  refreshTlsPin?: () => Promise<TlsPin>;
  onEvent?: (event: string, payload: unknown) => void;
  onHello?: (hello: HelloOk) => void;
  onStatus?: (status: ClientStatus) => void;
  /** Called when an established connection closes, with the gateway's close code and reason. */
  onDisconnect?: (code: number, reason: string) => void;
  /** Called with the pairing error each time a connect is answered "pairing required". */
  onPairingRequired?: (error: GatewayError, challenge: ConnectChallenge | undefined) => void;
  /** Called when the gateway issues a device token; persist it for the next connect. */
  onDeviceToken?: (token: string, hello: HelloOk) => void;
}

interface PendingRequest {
  resolve: (value: unknown) => void;
  reject: (error: GatewayError) => void;
  timer: NodeJS.Timeout | undefined;
  expectFinal: boolean;
  onAccepted: ((payload: unknown) => void) | undefined;
}

export interface RequestOptions {
  /** Deadline for the answer. With `expectFinal` there is none unless this is given. */
  timeoutMs?: number;
  /**
   * The method answers twice with the same id (OpenClaw's `agent`): first an ok `{status:'accepted'}`,
   * then the final result or error. The promise settles with the final one.
   */
  expectFinal?: boolean;
  /** With `expectFinal`: called with the `accepted` payload(s) while the request keeps waiting. */
  onAccepted?: (payload: unknown) => void;
}

/** The longest wait a gateway can ask for: a bogus value must not park a client for days. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The gateway's retry-after, clamped to [250 ms, MAX_RETRY_AFTER_MS]; `fallback` when it sent none. */
export function honouredRetryAfter(retryAfterMs: number | undefined, fallback: number): number {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return fallback;
  return Math.min(Math.max(retryAfterMs, 250), MAX_RETRY_AFTER_MS);
}

export class GatewayClient {
  private readonly options: GatewayClientOptions;
  private transport: Transport | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private requestCounter = 0;
  private running = false;
  private attempt = 0;
  /** The pin in use (options.tlsPin, or what refreshTlsPin returned), and whether the last attempt met a certificate it refused. */
  private tlsPin: TlsPin | undefined;
  private pinRefused = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivityMs = 0;
  private currentState: ClientState = 'idle';
  private helloOk: HelloOk | undefined;
  private lastChallenge: ConnectChallenge | undefined;
  private deviceToken: string | undefined;

  constructor(options: GatewayClientOptions) {
    this.options = options;
    this.deviceToken = options.deviceToken;
  }

  get state(): ClientState {
    return this.currentState;
  }

  get hello(): HelloOk | undefined {
    return this.helloOk;
  }

  get challenge(): ConnectChallenge | undefined {
    return this.lastChallenge;
  }

  /** One connection attempt. Resolves with `hello-ok`; rejects with the gateway's error. */
  async connect(): Promise<HelloOk> {
    this.setState({ state: 'connecting' });
    try {
      const hello = await this.openOnce();
      return hello;
    } catch (error) {
      this.setState({ state: 'closed', error: toGatewayError(error) });
      throw error;
    }
  }

  /** Stay connected until `close()`: reconnect with backoff, retry quietly while pairing is pending. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loopOnce();
  }

  async request<T = unknown>(method: string, params?: unknown, options: RequestOptions = {}): Promise<T> {
    const transport = this.transport;
    if (!transport || this.currentState !== 'connected') {
      throw new GatewayError({
        code: ErrorCode.UNAVAILABLE,
        message: `not connected to the gateway (${this.currentState})`,
        details: { code: DetailCode.CONNECTION_CLOSED },
        retryable: true,
      });
    }
    const id = `${++this.requestCounter}:${randomUUID()}`;
    const expectFinal = options.expectFinal === true;
    // A run that answers "accepted" can take as long as the run does (OpenClaw disables the deadline too).
    const timeoutMs = expectFinal ? options.timeoutMs : (options.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000);
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.pending.delete(id);
        reject(
          new GatewayError({
            code: ErrorCode.UNAVAILABLE,
            message: `${method} got no answer within ${timeoutMs} ms`,
            details: { code: DetailCode.TIMEOUT },
            retryable: true,
          }),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, expectFinal, onAccepted: options.onAccepted });
      const frame = params === undefined ? { type: 'req', id, method } : { type: 'req', id, method, params };
      transport.send(JSON.stringify(frame));
    });
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const transport = this.transport;
    this.teardown(new GatewayError({ code: ErrorCode.UNAVAILABLE, message: 'client closed', details: { code: DetailCode.CONNECTION_CLOSED } }));
    if (transport) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        transport.onClose(() => {
          clearTimeout(timer);
          resolve();
        });
        transport.close(CloseCode.NORMAL, 'client closing');
      });
    }
    this.setState({ state: 'closed' });
  }

  private async loopOnce(): Promise<void> {
    if (!this.running) return;
    this.setState({ state: 'connecting' });
    try {
      await this.openOnce();
      this.attempt = 0;
    } catch (error) {
      if (!this.running) return;
      const gatewayError = toGatewayError(error);
      if (isPairingPending(gatewayError)) {
        this.options.onPairingRequired?.(gatewayError, this.lastChallenge);
        this.scheduleRetry(honouredRetryAfter(gatewayError.retryAfterMs, PAIRING_RETRY_MS), 'pairing-pending', gatewayError);
      } else {
        // A gateway that says when to come back (throttled, cooling down) is obeyed: retrying sooner only adds load.
        const backoff = backoffDelayMs(this.attempt++, this.options.backoff);
        this.scheduleRetry(Math.max(backoff, honouredRetryAfter(gatewayError.retryAfterMs, 0)), 'waiting', gatewayError);
      }
    }
  }

  private scheduleRetry(delayMs: number, state: ClientState, error?: GatewayError): void {
    if (!this.running) return;
    this.setState({ state, error, retryInMs: delayMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.loopOnce();
    }, delayMs);
  }

  /** The pin connections use now: the one given, or the one `refreshTlsPin` moved to (a followed rotation). */
  get currentTlsPin(): TlsPin | undefined {
    return this.tlsPin ?? this.options.tlsPin;
  }

  private async openOnce(): Promise<HelloOk> {
    // After a certificate the pin refused, ask for the pin again before the next attempt: the owner of
    // the pin may follow a rotation the old certificate signed (or keep refusing, loudly).
    if (this.pinRefused && this.options.refreshTlsPin) {
      this.tlsPin = await this.options.refreshTlsPin();
      this.pinRefused = false;
    }
    const pin = this.tlsPin ?? this.options.tlsPin;
    const factory = this.options.transport ?? (pin ? createWebSocketTransport({ tlsPin: pin }) : webSocketTransport);
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 15_000;
    return new Promise<HelloOk>((resolve, reject) => {
      let settled = false;
      let connectId: string | undefined;
      let transport: Transport;
      try {
        transport = factory(this.options.url);
      } catch (error) {
        reject(connectFailed(`cannot open ${this.options.url}: ${(error as Error).message}`));
        return;
      }
      this.transport = transport;
      const fail = (error: GatewayError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (this.transport === transport) this.transport = undefined;
        transport.close(CloseCode.NORMAL, 'connect failed');
        reject(error);
      };
      const deadline = setTimeout(
        () => fail(connectFailed(`no hello from the gateway at ${this.options.url} within ${connectTimeoutMs} ms`, DetailCode.TIMEOUT)),
        connectTimeoutMs,
      );
      transport.onError((error) =>
        fail(
          error instanceof PinMismatchError
            ? ((this.pinRefused = true),
              new GatewayError({ code: ErrorCode.UNAVAILABLE, message: error.message, details: { code: DetailCode.PIN_MISMATCH, expected: error.expected, presented: error.presented }, retryable: false }))
            : connectFailed(`cannot reach the gateway at ${this.options.url}: ${error.message}`),
        ),
      );
      transport.onClose((code, reason) => {
        if (!settled) {
          fail(connectFailed(`the gateway closed the connection (${code}${reason ? `: ${reason}` : ''})`));
          return;
        }
        if (this.transport === transport) this.onConnectionLost(code, reason);
      });
      transport.onMessage((text) => {
        this.lastActivityMs = Date.now();
        // A malformed frame from the gateway is ignored, as OpenClaw's client does.
        const frame = parseGatewayFrame(text);
        if (!frame) return;
        if (settled) {
          this.dispatch(frame);
          return;
        }
        if (frame.type === 'event' && frame.event === 'connect.challenge' && connectId === undefined) {
          const challenge = frame.payload;
          if (!isRecord(challenge) || typeof challenge.nonce !== 'string' || challenge.nonce === '' || typeof challenge.ts !== 'number') {
            fail(connectFailed('the gateway sent a malformed connect challenge'));
            return;
          }
          this.lastChallenge = challenge as ConnectChallenge;
          connectId = `${++this.requestCounter}:${randomUUID()}`;
          transport.send(JSON.stringify({ type: 'req', id: connectId, method: 'connect', params: buildConnectParams(this.options, this.deviceToken, this.lastChallenge) }));
          return;
        }
        if (frame.type === 'res' && frame.id === connectId) {
          if (!frame.ok) {
            fail(new GatewayError(frame.error ?? { code: ErrorCode.UNAVAILABLE, message: 'connect refused' }));
            return;
          }
          settled = true;
          clearTimeout(deadline);
          const hello = frame.payload as HelloOk;
          this.onHelloOk(hello);
          resolve(hello);
        }
      });
    });
  }

  private onHelloOk(hello: HelloOk): void {
    this.helloOk = hello;
    const issued = hello.auth?.deviceToken;
    if (issued) {
      this.deviceToken = issued;
      this.options.onDeviceToken?.(issued, hello);
    }
    this.startWatchdog(hello.policy?.tickIntervalMs ?? TICK_INTERVAL_MS);
    this.setState({ state: 'connected' });
    this.options.onHello?.(hello);
  }

  private dispatch(frame: ResponseFrame | EventFrame): void {
    if (frame.type === 'res') {
      const pending = this.pending.get(frame.id);
      if (!pending) return;
      if (frame.ok && pending.expectFinal && isRecord(frame.payload) && frame.payload.status === 'accepted') {
        try {
          pending.onAccepted?.(frame.payload);
        } catch {
          // A throwing callback must not break frame dispatch; the request keeps waiting.
        }
        return;
      }
      this.pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.ok) pending.resolve(frame.payload);
      else pending.reject(new GatewayError(frame.error ?? { code: ErrorCode.UNAVAILABLE, message: 'request failed' }));
      return;
    }
    if (frame.type === 'event') this.options.onEvent?.(frame.event, frame.payload);
  }

  private startWatchdog(tickIntervalMs: number): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.lastActivityMs = Date.now();
    // Any inbound frame counts as life; silence for two tick intervals means the link is dead.
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastActivityMs > tickIntervalMs * 2) this.transport?.close(CloseCode.TICK_TIMEOUT, 'tick timeout');
    }, Math.max(250, Math.floor(tickIntervalMs / 2)));
    this.watchdog.unref();
  }

  private onConnectionLost(code: number, reason: string): void {
    this.options.onDisconnect?.(code, reason);
    this.teardown(
      new GatewayError({
        code: ErrorCode.UNAVAILABLE,
        message: `connection to the gateway closed (${code}${reason ? `: ${reason}` : ''})`,
        details: { code: DetailCode.CONNECTION_CLOSED, closeCode: code },
        retryable: true,
      }),
    );
    if (this.running) {
      // A gateway restart (1012) usually comes back at once: try quickly the first time.
      this.scheduleRetry(code === CloseCode.SERVICE_RESTART ? 250 : backoffDelayMs(this.attempt++, this.options.backoff), 'waiting');
    } else {
      this.setState({ state: 'closed' });
    }
  }

  private teardown(error: GatewayError): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.transport = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  private setState(status: ClientStatus): void {
    this.currentState = status.state;
    this.options.onStatus?.(status);
  }
}

function connectFailed(message: string, code: string = DetailCode.CONNECT_FAILED): GatewayError {
  return new GatewayError({ code: ErrorCode.UNAVAILABLE, message, details: { code }, retryable: true });
}

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return connectFailed(error instanceof Error ? error.message : String(error), DetailCode.INTERNAL);
}

export function isPairingPending(error: GatewayError): boolean {
  return error.code === ErrorCode.NOT_PAIRED && error.detailCode === DetailCode.PAIRING_REQUIRED;
}
