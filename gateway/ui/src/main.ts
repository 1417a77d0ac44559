/**
 * The Control UI: Devices (pending requests to approve or reject, paired devices) and Nodes (live
 * online/offline). Every string from the gateway is rendered as text by Preact (never as HTML) and
 * through safeLabel, so control characters show as visible escapes, as in the CLI.
 */
import { h, render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import htm from 'htm';
import { safeLabel } from '../../../protocol/src/display.js';
import { UI_CAPTURE_COMMANDS } from './capture.js';
import { GatewaySocket, type SocketStatus } from './gateway-socket.js';
import { exchangeLoginCode, forgetCredential, storedCredential, takeLoginCode, type Credential } from './login.js';

const html = htm.bind(h);

interface PendingRequest {
  requestId: string;
  deviceId: string;
  displayName?: string;
  platform?: string;
  role: string;
  commands: string[];
  remoteIp?: string;
  verificationCode?: string;
}

interface PairedDevice {
  deviceId: string;
  displayName?: string;
  platform?: string;
  roles: string[];
  commands: string[];
  remoteIp?: string;
  connected?: boolean;
  lastSeenAtMs?: number;
}

interface NodeInfo {
  nodeId: string;
  paired: boolean;
  connected: boolean;
  displayName?: string;
  platform?: string;
  commands: string[];
  remoteIp?: string;
  approvalState: string;
}

type View = 'devices' | 'nodes';

const REFRESH_EVENTS = new Set(['presence', 'device.pair.requested', 'device.pair.resolved', 'node.pair.resolved']);

function label(text: string | undefined, max = 64): string {
  return safeLabel(text, max);
}

function ago(ms: number | undefined): string {
  if (ms === undefined) return 'never seen';
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return 'seen just now';
  if (seconds < 3600) return `seen ${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `seen ${Math.round(seconds / 3600)} h ago`;
  return `seen ${Math.round(seconds / 86_400)} d ago`;
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

function statusText(status: SocketStatus): string {
  if (status.state === 'online') return 'connected';
  if (status.state === 'connecting') return 'connecting…';
  return `${status.state === 'refused' ? 'refused' : 'offline'}: ${label(status.reason, 200)}`;
}

function Login(props: { error: string | undefined }) {
  return html`<main class="login">
    <h1>Tether Control UI</h1>
    <p>Run <code>tether dashboard</code> on the gateway's machine and open the link it prints. Each link works once, for two minutes.</p>
    ${props.error ? html`<p class="error" role="alert">${label(props.error, 300)}</p>` : null}
  </main>`;
}

function Commands(props: { commands: string[] }) {
  if (props.commands.length === 0) return html`<span class="muted">no commands</span>`;
  return html`<ul class="commands">
    ${props.commands.map((command) =>
      UI_CAPTURE_COMMANDS.has(command)
        ? html`<li class="capture" title="captures people or where they are"><code>${label(command, 128)}</code> <span class="capture-mark">capture</span></li>`
        : html`<li><code>${label(command, 128)}</code></li>`,
    )}
  </ul>`;
}

function DevicesView(props: { pending: PendingRequest[]; paired: PairedDevice[]; act(method: string, requestId: string, without?: string[]): void; busy: Set<string> }) {
  return html`<section aria-labelledby="devices-heading">
    <h2 id="devices-heading">Devices</h2>
    <h3>Waiting for approval (${props.pending.length})</h3>
    ${props.pending.length === 0 ? html`<p class="muted">No device is waiting.</p>` : null}
    <ul class="cards">
      ${props.pending.map(
        (request) => html`<li class="card pending" data-request-id=${request.requestId}>
          <div class="title"><strong class="name">${label(request.displayName)}</strong> <span class="muted">${label(request.platform)} · ${label(request.role)}</span></div>
          <div>Verification code: <code class="code">${label(request.verificationCode)}</code></div>
          <div class="muted">device ${shortId(request.deviceId)} · from ${label(request.remoteIp)}</div>
          <div>Declares: <${Commands} commands=${request.commands} /></div>
          <div class="actions">
            <button class="approve" disabled=${props.busy.has(request.requestId)} onClick=${() => props.act('device.pair.approve', request.requestId)}>Approve</button>
            ${request.commands.some((command) => UI_CAPTURE_COMMANDS.has(command))
              ? html`<button class="approve-without" disabled=${props.busy.has(request.requestId)} onClick=${() => props.act('device.pair.approve', request.requestId, request.commands.filter((command) => UI_CAPTURE_COMMANDS.has(command)))}>Approve without capture</button>`
              : null}
            <button class="reject" disabled=${props.busy.has(request.requestId)} onClick=${() => props.act('device.pair.reject', request.requestId)}>Reject</button>
          </div>
        </li>`,
      )}
    </ul>
    <h3>Paired (${props.paired.length})</h3>
    <ul class="cards">
      ${props.paired.map(
        (device) => html`<li class="card paired" data-device-id=${device.deviceId}>
          <div class="title"><strong class="name">${label(device.displayName)}</strong> <span class=${device.connected ? 'badge online' : 'badge offline'}>${device.connected ? 'online' : 'offline'}</span></div>
          <div class="muted">${label(device.roles.join(', '))} · ${label(device.platform)} · device ${shortId(device.deviceId)} · ${label(device.remoteIp)} · ${device.connected ? 'connected' : ago(device.lastSeenAtMs)}</div>
        </li>`,
      )}
    </ul>
  </section>`;
}

function NodesView(props: { nodes: NodeInfo[] }) {
  return html`<section aria-labelledby="nodes-heading">
    <h2 id="nodes-heading">Nodes</h2>
    ${props.nodes.length === 0 ? html`<p class="muted">No node is paired yet.</p>` : null}
    <ul class="cards">
      ${props.nodes.map(
        (node) => html`<li class="card node" data-node-id=${node.nodeId} data-state=${node.connected ? 'online' : 'offline'}>
          <div class="title"><strong class="name">${label(node.displayName)}</strong> <span class=${node.connected ? 'badge online' : 'badge offline'}>${node.connected ? 'online' : 'offline'}</span></div>
          <div class="muted">${label(node.platform)} · ${label(node.approvalState)} · node ${shortId(node.nodeId)} · ${label(node.remoteIp)}</div>
          <div>Commands: <${Commands} commands=${node.commands} /></div>
        </li>`,
      )}
    </ul>
  </section>`;
}

function Dashboard(props: { credential: Credential; onLoggedOut(reason: string): void }) {
  const [status, setStatus] = useState<SocketStatus>({ state: 'connecting' });
  const [view, setView] = useState<View>('devices');
  const [pending, setPending] = useState<PendingRequest[]>([]);
  const [paired, setPaired] = useState<PairedDevice[]>([]);
  const [nodes, setNodes] = useState<NodeInfo[]>([]);
  const [busy, setBusy] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | undefined>();

  const socket = useMemo(() => {
    let timer: number | undefined;
    const refresh = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        socket.request<{ pending: PendingRequest[]; paired: PairedDevice[] }>('device.pair.list').then((list) => {
          setPending(list.pending);
          setPaired(list.paired);
        }, (failure: Error) => setError(failure.message));
        socket.request<{ nodes: NodeInfo[] }>('node.list').then((list) => setNodes(list.nodes.filter((node) => node.paired)), (failure: Error) => setError(failure.message));
      }, 30);
    };
    const socket: GatewaySocket = new GatewaySocket({
      token: props.credential.token,
      onStatus: (next) => {
        setStatus(next);
        if (next.state === 'refused' && /token|unauthori[sz]ed/i.test(next.reason)) props.onLoggedOut(next.reason);
      },
      onEvent: (event) => {
        if (REFRESH_EVENTS.has(event)) refresh();
      },
      onReady: refresh,
    });
    return socket;
  }, [props.credential]);

  useEffect(() => {
    socket.start();
    return () => socket.stop();
  }, [socket]);

  const act = (method: string, requestId: string, without?: string[]) => {
    setBusy((current) => new Set(current).add(requestId));
    socket.request(method, without ? { requestId, without } : { requestId }).then(
      () => setError(undefined),
      (failure: Error) => setError(failure.message),
    ).finally(() => setBusy((current) => {
      const next = new Set(current);
      next.delete(requestId);
      return next;
    }));
  };

  return html`<div class="app">
    <header>
      <h1>Tether</h1>
      <span class=${`status ${status.state}`} role="status">${statusText(status)}</span>
    </header>
    <nav>
      <button class=${view === 'devices' ? 'tab active' : 'tab'} aria-pressed=${view === 'devices'} onClick=${() => setView('devices')}>Devices${pending.length > 0 ? ` (${pending.length})` : ''}</button>
      <button class=${view === 'nodes' ? 'tab active' : 'tab'} aria-pressed=${view === 'nodes'} onClick=${() => setView('nodes')}>Nodes</button>
    </nav>
    ${error ? html`<p class="error" role="alert">${label(error, 300)}</p>` : null}
    <main>${view === 'devices' ? html`<${DevicesView} pending=${pending} paired=${paired} act=${act} busy=${busy} />` : html`<${NodesView} nodes=${nodes} />`}</main>
  </div>`;
}

function App() {
  const [credential, setCredential] = useState<Credential | undefined>(() => storedCredential());
  const [error, setError] = useState<string | undefined>();
  const [code] = useState(() => takeLoginCode());
  const [exchanging, setExchanging] = useState(code !== undefined);

  useEffect(() => {
    if (code === undefined) return;
    exchangeLoginCode(code).then(setCredential, (failure: Error) => setError(failure.message)).finally(() => setExchanging(false));
  }, [code]);

  if (exchanging) return html`<main class="login"><h1>Tether Control UI</h1><p>Logging in…</p></main>`;
  if (!credential) return html`<${Login} error=${error} />`;
  return html`<${Dashboard}
    credential=${credential}
    onLoggedOut=${(reason: string) => {
      forgetCredential();
      setCredential(undefined);
      setError(reason);
    }}
  />`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
