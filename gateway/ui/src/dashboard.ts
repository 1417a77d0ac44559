/**
 * The logged-in shell: one GatewaySocket, the connection status, a tab per view (views/index.ts) and
 * the error banner. Every view stays mounted (hidden when not shown), so live state such as a chat in
 * progress or an inbox survives switching tabs.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { forgetIdentity } from './device-identity.js';
import { GatewaySocket, type SocketStatus } from './gateway-socket.js';
import { html } from './html.js';
import type { Credential } from './login.js';
import { label } from './text.js';
import { scopeReason, type Listener, type UiContext } from './ui-context.js';
import { VIEWS } from './views/index.js';

function statusText(status: SocketStatus): string {
  if (status.state === 'online') return 'connected';
  if (status.state === 'connecting') return 'connecting…';
  return `${status.state === 'refused' ? 'refused' : 'offline'}: ${label(status.reason, 200)}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Logging out removes this browser's own pairing (a device may always remove itself), so a copied
 * login is dead too; the login is forgotten here even when the gateway cannot be reached.
 */
async function logOut(socket: GatewaySocket, credential: Credential): Promise<string> {
  if (credential.auth !== 'device') return 'Logged out.';
  // The key goes too: a paired key alone would be admitted again (its signature is the proof).
  const forgotten = forgetIdentity();
  try {
    const outcome = await socket.lastRequest('device.pair.remove', { deviceId: credential.deviceId });
    // The gateway closes a removed device's connections, possibly before its answer is read.
    await forgotten;
    if (outcome.answered || outcome.closeReason.includes('device removed')) return 'Logged out: this browser was removed from the paired devices.';
    throw new Error(outcome.closeReason || `the connection closed (${outcome.closeCode})`);
  } catch (failure) {
    return `Logged out here, but the gateway could not remove this browser (${errorText(failure)}): remove "Control UI" in the device list.`;
  }
}

export function Dashboard(props: { credential: Credential; onLoggedOut(reason: string): void }) {
  const [status, setStatus] = useState<SocketStatus>({ state: 'connecting' });
  const [view, setView] = useState(VIEWS[0]!.id);
  const [scopes, setScopes] = useState<ReadonlySet<string>>(new Set());
  const [badges, setBadges] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | undefined>();

  const hub = useMemo(() => ({ events: new Set<Listener>(), ready: new Set<() => void>() }), [props.credential]);
  const socket = useMemo(
    () =>
      new GatewaySocket({
        credential: props.credential,
        onStatus: (next) => {
          setStatus(next);
          // A refused connect means this browser's pairing is gone (revoked, removed, or the key no
          // longer matches): the stored login is useless, so the page asks for a new link.
          if (next.state === 'refused' && next.code !== undefined && next.code !== 'PAIRING_THROTTLED') props.onLoggedOut(next.reason);
        },
        onEvent: (event, payload) => {
          for (const listener of hub.events) listener(event, payload);
        },
        onReady: (granted) => {
          setScopes(new Set(granted));
          for (const listener of hub.ready) listener();
        },
      }),
    [props.credential],
  );

  const ctx = useMemo<UiContext>(
    () => ({
      socket,
      scopes,
      denied: (scope) => (scopes.has(scope) ? undefined : scopeReason(scope)),
      onEvent: (listener) => {
        hub.events.add(listener);
        return () => hub.events.delete(listener);
      },
      onReady: (listener) => {
        hub.ready.add(listener);
        return () => hub.ready.delete(listener);
      },
      authHeaders: (): Record<string, string> =>
        props.credential.auth === 'device' ? { authorization: `Bearer ${props.credential.deviceToken}`, 'x-tether-device-id': props.credential.deviceId } : {},
      report: (failure) => setError(failure === undefined ? undefined : errorText(failure)),
      setBadge: (id, count) => setBadges((current) => (current[id] === count ? current : { ...current, [id]: count })),
    }),
    [socket, scopes],
  );

  useEffect(() => {
    socket.start();
    return () => socket.stop();
  }, [socket]);

  return html`<div class="app">
    <header>
      <h1>Tether</h1>
      <span class=${`status ${status.state}`} role="status">${statusText(status)}</span>
      <button class="logout" onClick=${() => void logOut(socket, props.credential).then(props.onLoggedOut)}>Log out</button>
    </header>
    <nav>
      ${VIEWS.map(
        (entry) =>
          html`<button class=${view === entry.id ? 'tab active' : 'tab'} aria-pressed=${view === entry.id} onClick=${() => setView(entry.id)}>${entry.title}${(badges[entry.id] ?? 0) > 0 ? ` (${badges[entry.id]})` : ''}</button>`,
      )}
    </nav>
    ${error ? html`<p class="error" role="alert">${label(error, 300)}</p>` : null}
    <main>
      ${VIEWS.map((entry) => html`<div class="view" data-view=${entry.id} hidden=${view !== entry.id}><${entry.component} ctx=${ctx} /></div>`)}
    </main>
  </div>`;
}
