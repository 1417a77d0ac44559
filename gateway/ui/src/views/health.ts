/** Health: not built yet (issue 11); uptime, connections, invoke rate, channels, discovery and errors come here. */
import { html } from '../html.js';
import type { UiContext } from '../ui-context.js';

export function HealthView(_props: { ctx: UiContext }) {
  return html`<section aria-labelledby="health-heading">
    <h2 id="health-heading">Health</h2>
    <p class="muted">Not in the page yet: use <code>tether gateway status</code>.</p>
  </section>`;
}
