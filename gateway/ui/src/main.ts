/**
 * The Control UI's entry: log in (the `tether dashboard` link, or the gateway token once), then the dashboard (dashboard.ts) with
 * its views (views/). Every string from the gateway is rendered as text by Preact (never as HTML) and
 * through label() (text.ts), so control characters show as visible escapes, as in the CLI.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Dashboard } from './dashboard.js';
import { html } from './html.js';
import { codeScopes, exchangeLoginCode, forgetCredential, logInWithToken, storedCredential, takeLoginCode, type Credential } from './login.js';
import { label } from './text.js';

/** Without a login: how to get a link, or sign in once with the gateway token (sent once, never kept). */
function Login(props: { message: string | undefined; onToken(token: string): void }) {
  const [token, setToken] = useState('');
  return html`<main class="login">
    <h1>Tether Control UI</h1>
    <p>Run <code>tether dashboard</code> on the gateway's machine and open the link it prints. Each link works once, for two minutes, and pairs this browser as an operator device.</p>
    ${props.message ? html`<p class="error" role="alert">${label(props.message, 300)}</p>` : null}
    <form
      class="token-login"
      onSubmit=${(event: Event) => {
        event.preventDefault();
        if (token.trim() !== '') props.onToken(token);
        setToken('');
      }}
    >
      <label for="gateway-token">Or sign in once with the gateway token (it is sent once and not kept):</label>
      <input id="gateway-token" type="password" autocomplete="off" value=${token} onInput=${(event: Event) => setToken((event.target as HTMLInputElement).value)} />
      <button type="submit" disabled=${token.trim() === ''}>Sign in</button>
    </form>
  </main>`;
}

/**
 * A link opened by a browser that is logged in already: used only when the person says so, since a
 * link someone else sent could log this browser in again with fewer scopes than it holds.
 */
function Relogin(props: { credential: Credential; code: string; onUse(): void; onKeep(): void }) {
  const granted = codeScopes(props.code);
  return html`<main class="login">
    <h1>Tether Control UI</h1>
    <p>This browser is logged in already, with ${label(props.credential.scopes.join(', '), 300)}.</p>
    <p>The link you opened logs it in again with <strong>${label(granted.join(', '), 300)}</strong>, and the current login ends.</p>
    <div class="actions">
      <button class="relogin-use" onClick=${props.onUse}>Log in with this link</button>
      <button class="relogin-keep" onClick=${props.onKeep}>Keep the current login</button>
    </div>
  </main>`;
}

function App() {
  const [credential, setCredential] = useState<Credential | undefined>(() => storedCredential());
  const [error, setError] = useState<string | undefined>();
  const [code, setCode] = useState(() => takeLoginCode());
  const [confirmed, setConfirmed] = useState(credential === undefined);
  const [exchanging, setExchanging] = useState(code !== undefined && credential === undefined);

  // A link pasted into this tab's address bar changes only the fragment: no reload, so listen for it.
  useEffect(() => {
    const onHash = () => {
      const next = takeLoginCode();
      if (next === undefined) return;
      setConfirmed(storedCredential() === undefined);
      setCode(next);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (code === undefined || !confirmed) return;
    setExchanging(true);
    exchangeLoginCode(code).then(setCredential, (failure: Error) => setError(failure.message)).finally(() => {
      setExchanging(false);
      setCode(undefined);
    });
  }, [code, confirmed]);

  if (code !== undefined && credential !== undefined && !confirmed) {
    return html`<${Relogin} credential=${credential} code=${code} onUse=${() => setConfirmed(true)} onKeep=${() => setCode(undefined)} />`;
  }
  if (exchanging) return html`<main class="login"><h1>Tether Control UI</h1><p>Logging in…</p></main>`;
  if (!credential) {
    return html`<${Login}
      message=${error}
      onToken=${(token: string) => {
        setExchanging(true);
        logInWithToken(token).then(setCredential, (failure: Error) => setError(failure.message)).finally(() => setExchanging(false));
      }}
    />`;
  }
  return html`<${Dashboard}
    credential=${credential}
    onLoggedOut=${(reason: string) => {
      forgetCredential();
      setCredential(undefined);
      setError(reason);
    }}
  />`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
