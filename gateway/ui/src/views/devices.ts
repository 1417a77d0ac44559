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

const NOTHING: PairList = { pending: [], paired: [] };
const PAIRING_EVENTS = ['presence', 'device.pair.requested', 'device.pair.resolved', 'node.pair.resolved'];

export function DevicesView(props: { ctx: UiContext }) {
  const { ctx } = props;
  const denied = ctx.denied('operator.pairing');
  // device.pair.list itself needs operator.pairing: without it there is nothing to show, and no error.
  const [list, reload] = useLoaded<PairList>(ctx, () => (denied ? Promise.resolve(NOTHING) : ctx.socket.request<PairList>('device.pair.list')), PAIRING_EVENTS, NOTHING);
  const [busy, setBusy] = useState<Set<string>>(new Set());
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
        return html`<li class="card pending" data-request-id=${request.requestId}>
          <div class="title"><strong class="name">${label(request.displayName)}</strong> <span class="muted">${label(request.platform)} · ${label(request.role)}</span></div>
          <div>Verification code: <code class="code">${label(request.verificationCode)}</code></div>
          <div class="muted">device ${shortId(request.deviceId)} · from ${label(request.remoteIp)}</div>
          ${pairedAs(list.paired, request.deviceId)}
          <div>Declares: <${Commands} commands=${request.commands} /></div>
          ${cannotApprove ? html`<div class="muted denied">Approving it ${cannotApprove}.</div>` : null}
          <div class="actions">
            <button class="approve" title=${cannotApprove} disabled=${cannotApprove !== undefined || busy.has(request.requestId)} onClick=${() => act('device.pair.approve', request.requestId)}>Approve</button>
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
