/**
 * Health: what `tether gateway status` shows, live. Read from `health` (anyone) and `status`
 * (operator.read): uptime, connections, nodes, invokes, discovery, chat channels and recent errors.
 * Read again every 10 s while the view is shown, on every `presence` event (a node came or went) and
 * after each reconnect. Invoke rate and recent errors appear when the gateway reports them (`status`'s
 * `invokes` and `recentErrors`); an older gateway leaves them out and the page says so.
 */
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import { useLoaded, type UiContext } from '../ui-context.js';

interface ChannelState {
  name: string;
  state: string;
  reason?: string;
  lastMessageAtMs?: number;
}

interface Discovery {
  state: string;
  summary: string;
}

interface RecentError {
  atMs: number;
  source: string;
  message: string;
  count?: number;
}

interface Health {
  ok: boolean;
  uptimeMs: number;
  nodes: { connected: number; paired: number };
  pendingPairings: number;
  discovery?: Discovery;
  channels?: ChannelState[];
}

interface Status {
  version: string;
  listen: { host: string; port: number };
  connections: { operators: number; nodes: number };
  invokesInFlight: number;
  discovery?: Discovery;
  tls?: { enabled: boolean; fingerprint?: string };
  channels?: ChannelState[];
  invokes?: { total: number; failed: number; lastMinute: number; perSecond: number };
  recentErrors?: RecentError[];
}

interface Snapshot {
  health?: Health;
  status?: Status;
  /** Why `status` could not be read (e.g. the scope), shown in place of its rows. */
  statusDenied?: string;
  readAtMs?: number;
}

const REFRESH_MS = 10_000;

export function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

function isShown(element: Element | null): boolean {
  return element !== null && element.closest('[hidden]') === null && document.visibilityState === 'visible';
}

export function HealthView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const root = useRef<HTMLElement>(null);
  const statusDenied = ctx.denied('operator.read');
  const [snapshot, reload] = useLoaded<Snapshot>(
    ctx,
    async () => {
      const [health, status] = await Promise.all([
        ctx.socket.request<Health>('health'),
        statusDenied === undefined ? ctx.socket.request<Status>('status') : Promise.resolve(undefined),
      ]);
      return { health, status, statusDenied, readAtMs: Date.now() };
    },
    ['presence', 'device.pair.resolved', 'node.pair.resolved'],
    {},
  );

  // Polls only while this view is the one shown and the tab is visible: a hidden view costs nothing.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (isShown(root.current) && ctx.socket.isOnline()) reload();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [ctx]);

  const { health, status } = snapshot;
  const channels = status?.channels ?? health?.channels ?? [];
  const discovery = status?.discovery ?? health?.discovery;
  const errors = status?.recentErrors;

  return html`<section aria-labelledby="health-heading" ref=${root}>
    <h2 id="health-heading">Health</h2>
    ${health === undefined ? html`<p class="muted">Reading the gateway's health…</p>` : null}
    ${health !== undefined
      ? html`<dl class="card health-grid">
          <dt>State</dt><dd class=${health.ok ? 'health-ok' : 'error'} data-field="ok">${health.ok ? 'ok' : 'not ok'}</dd>
          <dt>Uptime</dt><dd data-field="uptime">${duration(health.uptimeMs)}</dd>
          <dt>Nodes connected</dt><dd data-field="nodes-connected">${health.nodes.connected}</dd>
          <dt>Nodes paired</dt><dd data-field="nodes-paired">${health.nodes.paired}</dd>
          <dt>Waiting for approval</dt><dd data-field="pending">${health.pendingPairings}</dd>
          ${status
            ? html`<dt>Operator connections</dt><dd data-field="operators">${status.connections.operators}</dd>
                <dt>Node connections</dt><dd data-field="node-connections">${status.connections.nodes}</dd>
                <dt>Invokes in flight</dt><dd data-field="in-flight">${status.invokesInFlight}</dd>
                <dt>Invoke rate</dt><dd data-field="invoke-rate">${status.invokes
                  ? `${status.invokes.lastMinute} in the last minute (${status.invokes.total} since start, ${status.invokes.failed} failed)`
                  : 'not reported by this gateway'}</dd>
                <dt>Version</dt><dd>${label(status.version)}</dd>
                <dt>Listening on</dt><dd>${label(status.listen.host)}:${status.listen.port}${status.tls?.enabled ? ` · TLS ${label(status.tls.fingerprint, 20)}` : ' · no TLS'}</dd>`
            : html`<dt>Connections and invokes</dt><dd class="muted denied">${snapshot.statusDenied ?? 'not read yet'}</dd>`}
        </dl>`
      : null}
    <h3>Discovery</h3>
    <p data-field="discovery">${discovery ? html`<span class=${discovery.state === 'failed' ? 'error' : ''}>${label(discovery.summary, 200)}</span>` : html`<span class="muted">unknown</span>`}</p>
    <h3>Chat channels (${channels.length})</h3>
    ${channels.length === 0 ? html`<p class="muted">No chat channel is configured.</p>` : null}
    <ul class="cards">
      ${channels.map(
        (channel) => html`<li class="card channel" data-channel=${channel.name} data-state=${channel.state}>
          <strong>${label(channel.name)}</strong> <span class=${channel.state === 'connected' ? 'badge online' : channel.state === 'failed' ? 'badge error' : 'badge offline'}>${label(channel.state)}</span>
          ${channel.reason ? html`<div class="muted">${label(channel.reason, 200)}</div>` : null}
        </li>`,
      )}
    </ul>
    <h3>Recent errors</h3>
    ${errors === undefined ? html`<p class="muted">Not reported by this gateway.</p>` : null}
    ${errors !== undefined && errors.length === 0 ? html`<p class="muted recent-none">None since the gateway started.</p>` : null}
    ${errors !== undefined && errors.length > 0
      ? html`<ul class="cards recent-errors">
          ${errors.map(
            (entry) => html`<li class="card recent-error">
              <span class="muted">${new Date(entry.atMs).toLocaleTimeString()} · ${label(entry.source, 32)}${entry.count !== undefined && entry.count > 1 ? ` · ×${entry.count}` : ''}</span>
              <div class="error-message">${label(entry.message, 300)}</div>
            </li>`,
          )}
        </ul>`
      : null}
    ${snapshot.readAtMs !== undefined ? html`<p class="muted">Read at ${new Date(snapshot.readAtMs).toLocaleTimeString()}; refreshed every ${REFRESH_MS / 1000} s while shown and when a node comes or goes.</p>` : null}
  </section>`;
}
