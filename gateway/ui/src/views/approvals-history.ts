/** The decided exec approvals (exec.approval.history), newest first: what ran or not, how, by whom, when. */
import { html } from '../html.js';
import { label } from '../text.js';
import { nodeName, outcome, present, type ApprovalHistoryEntry } from './approvals-rules.js';

function when(ms: number): string {
  return new Date(ms).toLocaleString();
}

export function ApprovalHistory(props: { entries: ApprovalHistoryEntry[] }) {
  if (props.entries.length === 0) return html`<p class="muted">Nothing decided since the gateway started (the history is kept in its memory).</p>`;
  return html`<ul class="cards history">
    ${props.entries.map((entry) => {
      const shown = present(entry);
      return html`<li class="card decided" key=${entry.id} data-approval-id=${entry.id} data-decision=${entry.decision} data-reason=${entry.reason}>
        <div class="title">
          <strong class=${`outcome ${entry.decision}`}>${outcome(entry)}</strong>
          ${entry.reason === 'operator' ? html` by <span class="by">${label(entry.decidedBy ?? 'an operator', 160)}</span>` : null}
          <span class="muted"> · <time datetime=${new Date(entry.resolvedAtMs).toISOString()}>${when(entry.resolvedAtMs)}</time></span>
        </div>
        <div><code class="line">${shown.line}</code>${entry.truncated ? html` <span class="muted">(cut in the history)</span>` : null}</div>
        <div class="muted">on <span class="node">${nodeName(entry)}</span> · in <code>${shown.cwd}</code> · program <code>${shown.program}</code></div>
      </li>`;
    })}
  </ul>`;
}
