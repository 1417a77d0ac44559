/**
 * The Control UI's entry: log in (the `tether dashboard` link), then the dashboard (dashboard.ts) with
 * its views (views/). Every string from the gateway is rendered as text by Preact (never as HTML) and
 * through label() (text.ts), so control characters show as visible escapes, as in the CLI.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Dashboard } from './dashboard.js';
import { html } from './html.js';
import { exchangeLoginCode, forgetCredential, storedCredential, takeLoginCode, type Credential } from './login.js';
import { label } from './text.js';

function Login(props: { error: string | undefined }) {
  return html`<main class="login">
    <h1>Tether Control UI</h1>
    <p>Run <code>tether dashboard</code> on the gateway's machine and open the link it prints. Each link works once, for two minutes.</p>
    ${props.error ? html`<p class="error" role="alert">${label(props.error, 300)}</p>` : null}
  </main>`;
}

function App() {
  const [credential, setCredential] = useState<Credential | undefined>(() => storedCredential());
  const [error, setError] = useState<string | undefined>();
  const [code] = useState(() => takeLoginCode());
  const [exchanging, setExchanging] = useState(code !== undefined);

  useEffect(() => {
    if (code === undefined) return;
    exchangeLoginCode(code).then(setCredential, (failure: Error) => setError(failure.message)).finally(() => setExchanging(false));
  }, [code]);

  if (exchanging) return html`<main class="login"><h1>Tether Control UI</h1><p>Logging in…</p></main>`;
  if (!credential) return html`<${Login} error=${error} />`;
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
