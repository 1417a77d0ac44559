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
  /** What the node declares on its live connection (commands is what may be called). */
  declaredCommands?: string[];
  remoteIp?: string;
  approvalState: string;
}

/**
 * The policy that applies, where it takes something away: commands the node declares that cannot be
 * called here (left out when it was approved, or not allowed by the gateway's command policy).
 */
function notCallable(node: NodeInfo) {
  const withheld = (node.declaredCommands ?? []).filter((command) => !node.commands.includes(command));
  if (withheld.length === 0) return null;
  return html`<div class="withheld">Not callable here: <${Commands} commands=${withheld} />
    <div class="muted">declared by the node, but left out when it was approved or not allowed by the gateway's command policy (<code>nodes.allowCommands</code>, <code>nodes.denyCommands</code>)</div>
  </div>`;
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
          ${notCallable(node)}
          ${node.connected ? html`<${InvokePanel} ctx=${ctx} nodeId=${node.nodeId} commands=${node.commands} />` : null}
        </li>`,
      )}
    </ul>
  </section>`;
}
