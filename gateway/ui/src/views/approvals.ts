/** Exec approvals: not built yet (issue 11); the live inbox and its history come here. */
import { html } from '../html.js';
import type { UiContext } from '../ui-context.js';

export function ApprovalsView(_props: { ctx: UiContext }) {
  return html`<section aria-labelledby="approvals-heading">
    <h2 id="approvals-heading">Approvals</h2>
    <p class="muted">Not in the page yet: use <code>tether approvals list</code>.</p>
  </section>`;
}
