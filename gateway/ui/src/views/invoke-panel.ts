/**
 * The invoke panel of one online node in the Nodes view: a section for each thing the node offers
 * (its invocable commands, as node.list reports them): run a program, camera and screen snapshots,
 * a short clip, its location. Everything goes through `node.invoke` (operator.write); without that
 * scope every control is disabled with the reason.
 */
import { html } from '../html.js';
import type { UiContext } from '../ui-context.js';
import { LocationPanel } from './invoke-location.js';
import { CAPTURES, CapturePanel } from './invoke-media.js';
import { RunPanel } from './invoke-run.js';

/** The commands the panel has a section for. */
export const PANEL_COMMANDS = ['system.run', ...CAPTURES.map((spec) => spec.command), 'location.get'];

export function InvokePanel(props: { ctx: UiContext; nodeId: string; commands: readonly string[] }) {
  const { ctx, nodeId, commands } = props;
  const offers = (command: string) => commands.includes(command);
  if (!PANEL_COMMANDS.some(offers)) return html`<p class="muted">This node offers nothing the panel can invoke.</p>`;
  return html`<details class="invoke-panel" open>
    <summary>Invoke</summary>
    ${offers('system.run') ? html`<${RunPanel} ctx=${ctx} nodeId=${nodeId} />` : null}
    ${CAPTURES.filter((spec) => offers(spec.command)).map((spec) => html`<${CapturePanel} key=${spec.command} ctx=${ctx} nodeId=${nodeId} spec=${spec} />`)}
    ${offers('location.get') ? html`<${LocationPanel} ctx=${ctx} nodeId=${nodeId} />` : null}
  </details>`;
}
