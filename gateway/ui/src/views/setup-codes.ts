/**
 * Setup codes, inside the Devices view: make a one-time code (device.setup.create, what `tether
 * devices setup-code` offers), see the codes made (device.setup.list) and revoke one. A new code is
 * shown once, as text and as a QR code of the bare code, exactly what the CLI's QR carries. The QR is
 * an SVG drawn by the `qrcode` package and shown through <img src="data:image/svg+xml,…">, never put
 * into the page as markup (the CSP's img-src allows data:).
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { label } from '../text.js';
import { useLoaded, type UiContext } from '../ui-context.js';

interface SetupCodeInfo {
  id: string;
  status: 'active' | 'expired' | 'redeemed' | 'revoked';
  createdAtMs: number;
  expiresAtMs: number;
  commands?: string[];
  name?: string;
  createdBy: string;
  redeemedBy?: string;
}

interface CreatedCode extends SetupCodeInfo {
  code: string;
  uri: string;
  url: string;
  tlsFingerprint?: string;
  command: string;
}

const TTLS: [string, number][] = [
  ['10 minutes', 10 * 60_000],
  ['1 hour', 60 * 60_000],
  ['24 hours', 24 * 60 * 60_000],
];
const COMMAND = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// The methods that redeem, revoke or make codes broadcast pairing events; list again on those.
const SETUP_EVENTS = ['device.pair.resolved', 'node.pair.resolved', 'presence'];

function describeCommands(commands: string[] | undefined): string {
  if (commands === undefined) return 'every command the node declares';
  return commands.length > 0 ? commands.join(', ') : 'no commands';
}

/** The same QR as the CLI's (`QRCode.toString(code, {errorCorrectionLevel: 'M'})`), as an SVG data: URL. */
export async function qrDataUrl(code: string): Promise<string> {
  const svg = await QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, color: { dark: '#000000', light: '#ffffff' } });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export function SetupCodes(props: { ctx: UiContext }) {
  const { ctx } = props;
  // device.setup.list needs operator.pairing too: without it there is nothing to list, and no error.
  const [list, reload] = useLoaded<{ codes: SetupCodeInfo[] }>(ctx, () => (ctx.denied('operator.pairing') ? Promise.resolve({ codes: [] }) : ctx.socket.request('device.setup.list')), SETUP_EVENTS, { codes: [] });
  const [ttl, setTtl] = useState(TTLS[0]![1]);
  const [everything, setEverything] = useState(false);
  const [commands, setCommands] = useState('system.notify');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedCode | undefined>(undefined);
  const [qr, setQr] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [revoking, setRevoking] = useState<string | undefined>(undefined);
  const denied = ctx.denied('operator.pairing');

  useEffect(() => {
    setQr(undefined);
    if (!created) return;
    let alive = true;
    qrDataUrl(created.code).then((url) => alive && setQr(url), (failure: unknown) => alive && ctx.report(failure));
    return () => {
      alive = false;
    };
  }, [created?.code]);

  const create = (event: Event) => {
    event.preventDefault();
    const names = commands.split(',').map((command) => command.trim()).filter((command) => command !== '');
    const bad = names.find((command) => !COMMAND.test(command));
    if (!everything && bad !== undefined) return setError(`"${label(bad)}" is not a command name; separate names with commas, e.g. system.notify,camera.snap`);
    const trimmed = name.trim();
    setBusy(true);
    setError(undefined);
    ctx.socket
      .request<CreatedCode>('device.setup.create', { ttlMs: ttl, ...(everything ? {} : { commands: [...new Set(names)] }), ...(trimmed !== '' && { name: trimmed }) })
      .then(
        (result) => {
          setCreated(result);
          reload();
        },
        (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
      )
      .finally(() => setBusy(false));
  };

  const revoke = (id: string) => {
    setBusy(true);
    ctx.socket
      .request('device.setup.revoke', { id })
      .then(
        () => {
          setRevoking(undefined);
          if (created?.id === id) setCreated(undefined);
          reload();
        },
        (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
      )
      .finally(() => setBusy(false));
  };

  return html`<div class="setup-codes">
    <h3>Setup codes</h3>
    <p class="muted">A setup code pairs one node with no approval step: on the node, <code>tether node run --pair '…'</code>. Anyone holding it can pair one node until it is used, expires or is revoked.</p>
    ${denied ? html`<p class="muted denied">Making and revoking codes ${denied}.</p>` : null}
    <form class="card setup-form" onSubmit=${create}>
      <label>Valid for <select class="setup-ttl" value=${String(ttl)} onChange=${(event: Event) => setTtl(Number((event.target as HTMLSelectElement).value))}>
        ${TTLS.map(([text, ms]) => html`<option value=${String(ms)}>${text}</option>`)}
      </select></label>
      <label><input type="checkbox" class="setup-all" checked=${everything} onChange=${(event: Event) => setEverything((event.target as HTMLInputElement).checked)} /> allow every command the node declares</label>
      <label>Commands (comma-separated) <input class="setup-commands" disabled=${everything} value=${commands} onInput=${(event: Event) => setCommands((event.target as HTMLInputElement).value)} /></label>
      <label>Name for the node (optional) <input class="setup-name" maxlength="64" value=${name} onInput=${(event: Event) => setName((event.target as HTMLInputElement).value)} /></label>
      <div class="actions"><button type="submit" class="setup-create" title=${denied} disabled=${denied !== undefined || busy}>Make a setup code</button></div>
      ${error ? html`<div class="note error" role="alert">${error}</div>` : null}
    </form>
    ${created
      ? html`<div class="card setup-new" data-code-id=${created.id}>
          <div><strong>Setup code ${label(created.id)}</strong> · single use · valid until ${new Date(created.expiresAtMs).toLocaleString()}</div>
          <div class="muted">Shown once: the gateway keeps only a hash of it.</div>
          ${qr ? html`<img class="setup-qr" src=${qr} width="240" height="240" alt=${`QR code of setup code ${created.id}`} />` : null}
          <div><code class="setup-uri">${created.uri}</code></div>
          <div>On the node, run: <code class="setup-command">${created.command}</code></div>
          <div class="muted">Gateway ${label(created.url, 256)}${created.tlsFingerprint ? ` (TLS SHA-256 ${created.tlsFingerprint})` : ''} · commands: ${label(describeCommands(created.commands), 256)}${created.name !== undefined ? ` · name: ${label(created.name)}` : ''}</div>
          <div class="actions"><button type="button" class="setup-hide" onClick=${() => setCreated(undefined)}>Hide the code</button></div>
        </div>`
      : null}
    ${list.codes.length === 0 ? html`<p class="muted">No setup codes made.</p>` : null}
    <ul class="cards setup-list">
      ${list.codes.map(
        (code) => html`<li class="card setup-code" key=${code.id} data-code-id=${code.id} data-status=${code.status}>
          <div><strong>${label(code.id)}</strong> <span class=${`badge ${code.status === 'active' ? 'online' : 'offline'}`}>${code.status}</span>
            ${code.name !== undefined ? html` <span class="muted">for ${label(code.name)}</span>` : null}</div>
          <div class="muted">commands: ${label(describeCommands(code.commands), 256)} · expires ${new Date(code.expiresAtMs).toLocaleString()} · made by ${label(code.createdBy)}${code.redeemedBy ? ` · paired device ${code.redeemedBy.slice(0, 12)}` : ''}</div>
          ${code.status === 'active'
            ? revoking === code.id
              ? html`<div class="confirm" role="alertdialog" aria-label=${`Revoke setup code ${code.id}`}>
                  <div>Revoke setup code <strong>${label(code.id)}</strong>? A node that has not used it yet can no longer pair with it.</div>
                  <div class="actions"><button type="button" class="confirm-yes danger" disabled=${busy} onClick=${() => revoke(code.id)}>Revoke code</button><button type="button" class="cancel" onClick=${() => setRevoking(undefined)}>Cancel</button></div>
                </div>`
              : html`<div class="actions"><button type="button" class="setup-revoke" title=${denied} disabled=${denied !== undefined || busy} onClick=${() => setRevoking(code.id)}>Revoke</button></div>`
            : null}
        </li>`,
      )}
    </ul>
  </div>`;
}
