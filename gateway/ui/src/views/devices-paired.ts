/**
 * One paired device's card: what it holds (roles, scopes, tokens, last seen, address) and the owner's
 * actions on it. Every action opens an in-page confirmation that names the device (its name through
 * label() and its short id) before anything is sent: window.confirm is not used (it can be suppressed,
 * and tests dismiss dialogs).
 *
 * Rotating a token: the gateway answers with the new token, and the page drops it. The device itself
 * proves who it is with its key and is handed a fresh token on its next connect (docs/cli.md, devices
 * rotate), so a token shown here would only be a working credential lying around in a browser tab.
 * `tether devices rotate` on the gateway host prints it for whoever needs it by hand.
 */
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { ago, label, shortId } from '../text.js';
import type { UiContext } from '../ui-context.js';

export interface TokenInfo {
  role: string;
  scopes: string[];
  createdAtMs: number;
  rotatedAtMs?: number;
  revokedAtMs?: number;
  lastUsedAtMs?: number;
}

export interface PairedDevice {
  deviceId: string;
  displayName?: string;
  platform?: string;
  role?: string;
  roles: string[];
  scopes: string[];
  commands: string[];
  tokens?: TokenInfo[];
  remoteIp?: string;
  approvedVia?: string;
  connected?: boolean;
  lastSeenAtMs?: number;
  renamedAtMs?: number;
}

/** What is being confirmed on this card. */
type Pending = { kind: 'rename' } | { kind: 'rotate'; role: string } | { kind: 'revoke'; role: string } | { kind: 'remove' };

function when(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toLocaleString();
}

function tokenState(token: TokenInfo | undefined): string {
  if (!token) return 'no token issued yet (one is issued on its next connect)';
  if (token.revokedAtMs !== undefined) return `revoked ${when(token.revokedAtMs)}: it must be approved again`;
  const parts = [`issued ${when(token.createdAtMs)}`];
  if (token.rotatedAtMs !== undefined) parts.push(`rotated ${when(token.rotatedAtMs)}`);
  parts.push(token.lastUsedAtMs !== undefined ? `last used ${when(token.lastUsedAtMs)}` : 'not used since');
  return parts.join(' · ');
}

export function PairedCard(props: { ctx: UiContext; device: PairedDevice; onChanged(): void }) {
  const { ctx, device, onChanged } = props;
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const denied = ctx.denied('operator.pairing');
  const name = label(device.displayName);
  const id = shortId(device.deviceId);
  const tokens = device.tokens ?? [];

  const run = (method: string, params: Record<string, unknown>, done: (result: Record<string, unknown>) => string) => {
    setBusy(true);
    ctx.socket
      .request<Record<string, unknown>>(method, { deviceId: device.deviceId, ...params })
      .then(
        (result) => {
          setPending(undefined);
          setNote({ text: done(result), error: false });
          onChanged();
        },
        (failure: unknown) => setNote({ text: failure instanceof Error ? failure.message : String(failure), error: true }),
      )
      .finally(() => setBusy(false));
  };

  const open = (next: Pending) => {
    setNote(undefined);
    if (next.kind === 'rename') setDraft(device.displayName ?? '');
    setPending(next);
  };

  const confirmation = () => {
    if (!pending) return null;
    const cancel = html`<button type="button" class="cancel" disabled=${busy} onClick=${() => setPending(undefined)}>Cancel</button>`;
    if (pending.kind === 'rename') {
      return html`<form class="confirm rename-form" onSubmit=${(event: Event) => {
        event.preventDefault();
        run('device.rename', { displayName: draft }, (result) => `Renamed to ${label(result.displayName as string | undefined)}`);
      }}>
        <label>New name for <strong class="confirm-name">${name}</strong> (device <code>${id}</code>):
          <input class="rename-input" maxlength="64" value=${draft} onInput=${(event: Event) => setDraft((event.target as HTMLInputElement).value)} /></label>
        <div class="muted">1 to 64 characters, no control or format characters. The name you give wins over the one the device reports.</div>
        <div class="actions"><button type="submit" class="confirm-yes" disabled=${busy}>Rename</button>${cancel}</div>
      </form>`;
    }
    const texts = {
      rotate: [`Rotate the ${pending.kind === 'rotate' ? pending.role : ''} token of`, 'Its old token stops working; the device proves itself with its key and gets a new token on its next connect. The new token is not shown here.', 'Rotate token'],
      revoke: [`Revoke the ${pending.kind === 'revoke' ? pending.role : ''} token of`, 'Its connections close now, and it cannot connect again until you approve it again (it stays paired).', 'Revoke token'],
      remove: ['Remove', 'It is unpaired and disconnected now; to come back it must ask to pair and be approved again.', 'Remove device'],
    }[pending.kind];
    const confirm = () => {
      if (pending.kind === 'rotate') run('device.token.rotate', { role: pending.role }, (result) => `Rotated the ${pending.role} token at ${when(result.rotatedAtMs as number | undefined)}; the device gets its new token on its next connect.`);
      else if (pending.kind === 'revoke') run('device.token.revoke', { role: pending.role }, (result) => `Revoked the ${pending.role} token (${String(result.disconnected)} connection(s) closed).`);
      else run('device.pair.remove', {}, () => 'Removed.');
    };
    return html`<div class="confirm" role="alertdialog" aria-label=${`${texts[2]}: ${name}`}>
      <div class="confirm-text">${texts[0]} <strong class="confirm-name">${name}</strong> (device <code>${id}</code>)?</div>
      <div class="muted">${texts[1]}</div>
      <div class="actions"><button type="button" class=${pending.kind === 'rotate' ? 'confirm-yes' : 'confirm-yes danger'} disabled=${busy} onClick=${confirm}>${texts[2]}</button>${cancel}</div>
    </div>`;
  };

  const button = (cls: string, text: string, next: Pending) =>
    html`<button type="button" class=${cls} title=${denied} disabled=${denied !== undefined || busy || pending !== undefined} onClick=${() => open(next)}>${text}</button>`;

  return html`<li class="card paired" data-device-id=${device.deviceId}>
    <div class="title"><strong class="name">${name}</strong> <span class=${device.connected ? 'badge online' : 'badge offline'}>${device.connected ? 'online' : 'offline'}</span>
      ${device.renamedAtMs !== undefined ? html` <span class="muted renamed">named by you</span>` : null}</div>
    <div class="muted">${label(device.roles.join(', '))} · ${label(device.platform)} · device <code>${id}</code> · from ${label(device.remoteIp)} · ${device.connected ? 'connected' : ago(device.lastSeenAtMs)}</div>
    <div class="muted scopes">Scopes: ${device.scopes.length > 0 ? label(device.scopes.join(', '), 256) : 'none'}${device.approvedVia ? ` · approved via ${label(device.approvedVia)}` : ''}</div>
    <ul class="tokens">
      ${device.roles.map((role) => {
        const token = tokens.find((entry) => entry.role === role);
        return html`<li class="token" data-role=${role}>
          <span class="token-state"><strong>${label(role)} token</strong>: ${tokenState(token)}</span>
          <span class="token-actions">
            ${button('rotate', 'Rotate token', { kind: 'rotate', role })}
            ${button('revoke', 'Revoke token', { kind: 'revoke', role })}
          </span>
        </li>`;
      })}
    </ul>
    ${denied ? html`<p class="muted denied">Managing devices ${denied}.</p>` : null}
    <div class="actions">
      ${button('rename', 'Rename', { kind: 'rename' })}
      ${button('remove', 'Remove', { kind: 'remove' })}
    </div>
    ${confirmation()}
    ${note ? html`<div class=${note.error ? 'note error' : 'note'} role=${note.error ? 'alert' : 'status'}>${note.text}</div>` : null}
  </li>`;
}
