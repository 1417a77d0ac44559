/**
 * Approvals: the exec approvals nodes are waiting on, live (exec.approval.requested / .resolved), each
 * with its exact argv (every argument on its own, shell-quoted, control characters escaped), folder,
 * program, node and time left, and Approve once / Always allow <program> / Deny; below, what was
 * decided lately (exec.approval.history): what, how, by whom and when.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import { useLoaded, type UiContext } from '../ui-context.js';
import { ApprovalHistory } from './approvals-history.js';
import { basename, present, secondsLeft, type ApprovalDecision, type ApprovalHistoryEntry, type ExecApproval } from './approvals-rules.js';

const APPROVAL_EVENTS = ['exec.approval.requested', 'exec.approval.resolved'];
const SCOPE = 'operator.approvals';

export function ApprovalsView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const denied = ctx.denied(SCOPE);
  const [pending] = useLoaded<ExecApproval[]>(
    ctx,
    () => (ctx.scopes.has(SCOPE) ? ctx.socket.request<{ approvals: ExecApproval[] }>('exec.approval.list').then((list) => list.approvals) : Promise.resolve([])),
    APPROVAL_EVENTS,
    [],
  );
  const [history] = useLoaded<ApprovalHistoryEntry[]>(
    ctx,
    () => (ctx.scopes.has(SCOPE) ? ctx.socket.request<{ entries: ApprovalHistoryEntry[] }>('exec.approval.history', { limit: 50 }).then((list) => list.entries) : Promise.resolve([])),
    APPROVAL_EVENTS,
    [],
  );
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState<Set<string>>(new Set());
  useEffect(() => ctx.setBadge('approvals', pending.length), [pending.length]);
  useEffect(() => {
    if (pending.length === 0) return undefined;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [pending.length]);

  const answer = (id: string, decision: ApprovalDecision) => {
    setBusy((current) => new Set(current).add(id));
    ctx.socket
      .request('exec.approval.resolve', { id, decision })
      .then(() => ctx.report(undefined), (failure: unknown) => ctx.report(failure))
      .finally(() =>
        setBusy((current) => {
          const next = new Set(current);
          next.delete(id);
          return next;
        }),
      );
  };

  // Not filtered by this browser's clock: a clock ahead of the gateway's must not hide a live approval.
  // Each one leaves the list when the gateway says it ended (exec.approval.resolved, expiry included).
  const waiting = pending;
  return html`<section aria-labelledby="approvals-heading">
    <h2 id="approvals-heading">Approvals</h2>
    ${denied ? html`<p class="muted denied">Seeing and answering exec approvals ${denied}.</p>` : null}
    <h3>Waiting (${waiting.length})</h3>
    ${waiting.length === 0 ? html`<p class="muted">No command is waiting for approval. A node whose exec policy says ask puts its commands here.</p>` : null}
    <ul class="cards approvals">
      ${waiting.map((approval) => html`<${ApprovalCard} key=${approval.id} approval=${approval} now=${now} denied=${denied} busy=${busy.has(approval.id)} answer=${answer} />`)}
    </ul>
    <h3>Decided lately</h3>
    <${ApprovalHistory} entries=${history} />
  </section>`;
}

function ApprovalCard(props: { approval: ExecApproval; now: number; denied: string | undefined; busy: boolean; answer(id: string, decision: ApprovalDecision): void }) {
  const { approval, denied, busy } = props;
  const shown = present(approval);
  const left = secondsLeft(approval, props.now);
  const off = denied !== undefined || busy;
  const program = label(basename(approval.resolvedPath), 24);
  return html`<li class="card approval" data-approval-id=${approval.id}>
    <div class="title">Node <strong class="node">${shown.node}</strong> wants to run <span class="left">${left} s left</span></div>
    <ol class="argv" aria-label="the command's arguments, one per item">
      ${shown.args.map((arg, i) => html`<li><code class="arg" data-index=${i}>${arg}</code></li>`)}
    </ol>
    <div class="line-row">Command line: <code class="line">${shown.line}</code></div>
    <div class="muted">in <code class="cwd">${shown.cwd}</code> · program <code class="program">${shown.program}</code> · ${label(approval.command)}</div>
    ${shown.cut
      ? html`<p class="cut">Too long to show here in full, so it cannot be approved from this page: read it whole with <code>tether approvals list</code> and approve there.</p>`
      : shown.noAlways
        ? html`<p class="muted always-note">Always is not offered: it would allow any program through this shell or interpreter.</p>`
        : html`<p class="muted always-note">Always = <code>${shown.program}</code> with any arguments on ${shown.node}, from now on.</p>`}
    <div class="actions">
      ${shown.cut
        ? null
        : html`<button class="approve" title=${denied} disabled=${off} onClick=${() => props.answer(approval.id, 'allow-once')}>Approve once</button>
            ${shown.noAlways ? null : html`<button class="always" title=${denied} disabled=${off} onClick=${() => props.answer(approval.id, 'allow-always')}>Always allow ${program}</button>`}`}
      <button class="reject deny" title=${denied} disabled=${off} onClick=${() => props.answer(approval.id, 'deny')}>Deny</button>
    </div>
    ${denied ? html`<p class="muted denied">${denied}</p>` : null}
  </li>`;
}
