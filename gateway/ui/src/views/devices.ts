/**
 * Devices: pending requests to approve or reject (capture commands marked), the paired devices with
 * their tokens and the owner's actions (devices-paired.ts), and setup codes (setup-codes.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import { UI_CAPTURE_COMMANDS } from '../capture.js';
import { Commands } from '../commands-list.js';
import { html } from '../html.js';
import { label, shortId } from '../text.js';
import { scopeReason, useLoaded, type UiContext } from '../ui-context.js';
import { PairedCard, type PairedDevice } from './devices-paired.js';
import { SetupCodes } from './setup-codes.js';

export interface PendingRequest {
  requestId: string;
  deviceId: string;
  displayName?: string;
  platform?: string;
  role: string;
  /** Every role it will hold once approved, and the operator scopes it asks for. */
  roles?: string[];
  scopes?: string[];
  isRepair?: boolean;
  commands: string[];
  remoteIp?: string;
  verificationCode?: string;
  /** Every scope approving this request needs (the gateway's rule: nodes/approval-scopes.ts). */
  requiredApproveScopes?: string[];
}

export type { PairedDevice };

/** Why this page may not approve `request`, or undefined: it must hold every scope the approval would grant. */
function approveDenial(ctx: UiContext, request: PendingRequest): string | undefined {
  if (ctx.scopes.has('operator.admin')) return undefined;
  const missing = (request.requiredApproveScopes ?? ['operator.pairing']).filter((scope) => !ctx.scopes.has(scope));
  return missing.length === 0 ? undefined : scopeReason(missing.join(' and '));
}

interface PairList {
  pending: PendingRequest[];
  paired: PairedDevice[];
}

/** A paired device asking again (after a revoked token, or for more): the name it has here, beside the one it declares. */
function pairedAs(paired: PairedDevice[], deviceId: string) {
  const known = paired.find((device) => device.deviceId === deviceId);
  return known ? html`<div class="muted paired-as">already paired as <strong>${label(known.displayName)}</strong>; it asks again</div>` : null;
}

/** Scopes that let a device change things (not only read): marked like capture commands. */
const STRONG_SCOPES = new Set(['operator.admin', 'operator.write', 'operator.approvals', 'operator.pairing']);

/** The operator scopes a request asks for, the strong ones marked; nothing for a node. */
function Scopes(props: { scopes: string[] }) {
  return html`<ul class="commands scopes">
    ${props.scopes.map((scope) =>
      STRONG_SCOPES.has(scope) ? html`<li class="capture strong-scope"><code>${label(scope, 64)}</code></li>` : html`<li><code>${label(scope, 64)}</code></li>`,
    )}
  </ul>`;
}

const NOTHING: PairList = { pending: [], paired: [] };
const PAIRING_EVENTS = ['presence', 'device.pair.requested', 'device.pair.resolved', 'node.pair.resolved'];

export function DevicesView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const denied = ctx.denied('operator.pairing');
  // device.pair.list itself needs operator.pairing: without it there is nothing to show, and no error.
  const [list, reload] = useLoaded<PairList>(ctx, () => (denied ? Promise.resolve(NOTHING) : ctx.socket.request<PairList>('device.pair.list')), PAIRING_EVENTS, NOTHING);
  const [busy, setBusy] = useState<Set<string>>(new Set());
  // An operator request grants scopes: its Approve asks once more, naming them.
  const [confirming, setConfirming] = useState<string | undefined>();
  useEffect(() => ctx.setBadge('devices', list.pending.length), [list.pending.length]);

  const act = (method: string, requestId: string, without?: string[]) => {
    setBusy((current) => new Set(current).add(requestId));
    ctx.socket
      .request(method, without ? { requestId, without } : { requestId })
      .then(() => ctx.report(undefined), (failure: unknown) => ctx.report(failure))
      .finally(() =>
        setBusy((current) => {
          const next = new Set(current);
          next.delete(requestId);
          return next;
        }),
      );
  };

  return html`<section aria-labelledby="devices-heading">
    <h2 id="devices-heading">Devices</h2>
    <h3>Waiting for approval (${list.pending.length})</h3>
    ${denied ? html`<p class="muted denied">Seeing and answering pairing requests ${denied}.</p>` : null}
    ${list.pending.length === 0 ? html`<p class="muted">No device is waiting.</p>` : null}
    <ul class="cards">
      ${list.pending.map((request) => {
        const cannotApprove = approveDenial(ctx, request);
        const scopes = request.role === 'operator' ? (request.scopes ?? []) : [];
        const approve = () => (scopes.length > 0 && confirming !== request.requestId ? setConfirming(request.requestId) : act('device.pair.approve', request.requestId));
        return html`<li class="card pending" data-request-id=${request.requestId}>
          <div class="title"><strong class="name">${label(request.displayName)}</strong> <span class="muted">${label(request.platform)} · ${label((request.roles ?? [request.role]).join(' + '))}${request.isRepair ? ' · asks again' : ''}</span></div>
          <div>Verification code: <code class="code">${label(request.verificationCode)}</code></div>
          <div class="muted">device ${shortId(request.deviceId)} · from ${label(request.remoteIp)}</div>
          ${pairedAs(list.paired, request.deviceId)}
          ${request.role === 'node' ? html`<div>Declares: <${Commands} commands=${request.commands} /></div>` : html`<div>Asks for: ${scopes.length > 0 ? html`<${Scopes} scopes=${scopes} />` : html`<span class="muted">no scopes</span>`}</div>`}
          ${cannotApprove ? html`<div class="muted denied">Approving it ${cannotApprove}.</div>` : null}
          ${confirming === request.requestId
            ? html`<div class="confirm" role="alert">Approve <strong>${label(request.displayName)}</strong> (device ${shortId(request.deviceId)}) as an operator with ${scopes.map((scope) => label(scope, 64)).join(', ')}? It can then do what those scopes allow, from wherever it connects.</div>`
            : null}
          <div class="actions">
            <button class="approve" title=${cannotApprove} disabled=${cannotApprove !== undefined || busy.has(request.requestId)} onClick=${approve}>${confirming === request.requestId ? `Yes, grant ${scopes.length} scope${scopes.length === 1 ? '' : 's'}` : 'Approve'}</button>
            ${request.commands.some((command) => UI_CAPTURE_COMMANDS.has(command))
              ? html`<button class="approve-without" title=${cannotApprove} disabled=${cannotApprove !== undefined || busy.has(request.requestId)} onClick=${() => act('device.pair.approve', request.requestId, request.commands.filter((command) => UI_CAPTURE_COMMANDS.has(command)))}>Approve without capture</button>`
              : null}
            <button class="reject" title=${denied} disabled=${denied !== undefined || busy.has(request.requestId)} onClick=${() => act('device.pair.reject', request.requestId)}>Reject</button>
          </div>
        </li>`;
      })}
    </ul>
    <h3>Paired (${list.paired.length})</h3>
    ${list.paired.length === 0 ? html`<p class="muted">No device is paired yet.</p>` : null}
    <ul class="cards">
      ${list.paired.map((device) => html`<${PairedCard} key=${device.deviceId} ctx=${ctx} device=${device} onChanged=${reload} />`)}
    </ul>
    <${SetupCodes} ctx=${ctx} />
  </section>`;
}
