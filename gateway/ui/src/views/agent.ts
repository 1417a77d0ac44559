/** The agent's chat: not built yet (issue 11); sessions, streamed answers and tool steps come here. */
import { html } from '../html.js';
import type { UiContext } from '../ui-context.js';

export function AgentView(_props: { ctx: UiContext }) {
  return html`<section aria-labelledby="agent-heading">
    <h2 id="agent-heading">Agent</h2>
    <p class="muted">Not in the page yet: use <code>tether agent</code>.</p>
  </section>`;
}
