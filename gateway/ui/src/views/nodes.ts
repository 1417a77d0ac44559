/**
 * Nodes: the paired nodes, online or offline as it happens (presence events), with their commands;
 * each online node has an invoke panel (views/invoke-panel.ts).
 */
import { Commands } from '../commands-list.js';
import { html } from '../html.js';
import { label, shortId } from '../text.js';
import { useLoaded, type UiContext } from '../ui-context.js';
import { InvokePanel } from './invoke-panel.js';

export interface NodeInfo {
  nodeId: string;
  paired: boolean;
  connected: boolean;
  displayName?: string;
  platform?: string;
  commands: string[];
  remoteIp?: string;
  approvalState: string;
}

const NODE_EVENTS = ['presence', 'device.pair.resolved', 'node.pair.resolved'];

export function NodesView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const [nodes] = useLoaded<NodeInfo[]>(
    ctx,
    () => ctx.socket.request<{ nodes: NodeInfo[] }>('node.list').then((list) => list.nodes.filter((node) => node.paired)),
    NODE_EVENTS,
    [],
  );
  return html`<section aria-labelledby="nodes-heading">
    <h2 id="nodes-heading">Nodes</h2>
    ${nodes.length === 0 ? html`<p class="muted">No node is paired yet.</p>` : null}
    <ul class="cards">
      ${nodes.map(
        (node) => html`<li key=${node.nodeId} class="card node" data-node-id=${node.nodeId} data-state=${node.connected ? 'online' : 'offline'}>
          <div class="title"><strong class="name">${label(node.displayName)}</strong> <span class=${node.connected ? 'badge online' : 'badge offline'}>${node.connected ? 'online' : 'offline'}</span></div>
          <div class="muted">${label(node.platform)} · ${label(node.approvalState)} · node ${shortId(node.nodeId)} · ${label(node.remoteIp)}</div>
          <div>Commands: <${Commands} commands=${node.commands} /></div>
          ${node.connected ? html`<${InvokePanel} ctx=${ctx} nodeId=${node.nodeId} commands=${node.commands} />` : null}
        </li>`,
      )}
    </ul>
  </section>`;
}
