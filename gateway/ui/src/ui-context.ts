/**
 * What every view of the Control UI gets from the shell (dashboard.ts): the socket, the scopes the
 * gateway granted this page, gateway events and reconnects to listen to, the credential for HTTP
 * (media), and the shared error banner. Views never open sockets or read storage themselves.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { GatewaySocket } from './gateway-socket.js';

export type Listener = (event: string, payload: unknown) => void;

export interface UiContext {
  socket: GatewaySocket;
  /** The scopes the gateway granted on the last connect (hello-ok's auth.scopes). */
  scopes: ReadonlySet<string>;
  /** undefined when this page holds `scope`; otherwise the reason to show beside the disabled control. */
  denied(scope: string): string | undefined;
  /** Listens to every gateway event; returns the unsubscribe. */
  onEvent(listener: Listener): () => void;
  /** Called after each (re)connect, when state should be read again; returns the unsubscribe. */
  onReady(listener: () => void): () => void;
  /** Headers that authenticate an HTTP request to the gateway (media downloads) as this page. */
  authHeaders(): Record<string, string>;
  /** Shows an error in the page's banner (undefined clears it). */
  report(error: unknown): void;
  /** Sets the number shown on a view's tab (0 hides it). */
  setBadge(view: string, count: number): void;
}

/** The reason text for a control this page may not use. */
export function scopeReason(scope: string): string {
  return `needs ${scope}, which this login was not granted`;
}

/** How often a view may re-read at most while events keep coming (a flood must not starve it). */
const RELOAD_MAX_WAIT_MS = 250;

/**
 * Loads state with `load` now, after every reconnect and after any of `events`: a burst of events is
 * one load 30 ms after the last, but never later than RELOAD_MAX_WAIT_MS after the first (a node
 * flooding events would otherwise keep pushing the load back). Keeps the last good value; a failed
 * load goes to the banner.
 */
export function useLoaded<T>(ctx: UiContext, load: () => Promise<T>, events: readonly string[], initial: T): [T, () => void] {
  const [value, setValue] = useState<T>(initial);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useRef(() => {});
  useEffect(() => {
    let timer: number | undefined;
    let firstAt: number | undefined;
    let alive = true;
    const fire = () => {
      window.clearTimeout(timer);
      timer = undefined;
      firstAt = undefined;
      loadRef.current().then((next) => alive && setValue(next), (failure: unknown) => alive && ctx.report(failure));
    };
    const run = () => {
      const now = Date.now();
      firstAt ??= now;
      window.clearTimeout(timer);
      timer = window.setTimeout(fire, Math.max(0, Math.min(30, firstAt + RELOAD_MAX_WAIT_MS - now)));
    };
    reload.current = run;
    const offReady = ctx.onReady(run);
    const offEvent = ctx.onEvent((event) => {
      if (events.includes(event)) run();
    });
    if (ctx.socket.isOnline()) run();
    return () => {
      alive = false;
      window.clearTimeout(timer);
      offReady();
      offEvent();
    };
  }, [ctx, events.join(' ')]);
  return [value, () => reload.current()];
}

/** Listens to gateway events while the component is mounted. */
export function useGatewayEvent(ctx: UiContext, listener: Listener): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => ctx.onEvent((event, payload) => ref.current(event, payload)), [ctx]);
}
