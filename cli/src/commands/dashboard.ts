/**
 * `tether dashboard`: prints a one-time login link to the gateway's Control UI and opens it in a
 * browser when this machine has one (an SSH session or a headless server has none: the link is the
 * answer). The link carries a short-lived single-use code in its fragment, never the token itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { LOGIN_CODE_TTL_MS, mintLoginCode, UI_SCOPES, type UiScope } from '@tether/gateway';
import { checkPlaintextAllowed } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { resolveTarget } from '../gateway-target.js';
import { printJson, printLines, usageError } from '../output.js';

/** The page's address for a gateway's WebSocket URL: same host and port, http(s) instead of ws(s). */
export function dashboardUrl(gatewayUrl: string, code: string | undefined): string {
  const url = new URL(gatewayUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  url.username = '';
  url.password = '';
  url.pathname = '/';
  url.search = '';
  url.hash = code ? `code=${code}` : '';
  return url.toString();
}

/** Which program opens a URL here, or undefined when there is no desktop to open it on. */
function browserOpener(env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (env.TETHER_NO_BROWSER === '1') return undefined;
  if (process.platform === 'darwin') return { command: 'open', args: [] };
  if (process.platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [] };
}

/**
 * A page that sends the browser on to `url`, in a new private folder (0700) as a 0600 file. The
 * browser is handed this file, not the link: a program's arguments are readable by every local user
 * (/proc/<pid>/cmdline), and the link's code would be theirs to redeem first.
 */
export function writeRedirectPage(url: string, dir = mkdtempSync(join(tmpdir(), 'tether-dashboard-'))): string {
  const attribute = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const path = join(dir, 'open.html');
  writeFileSync(path, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${attribute}"><title>Tether Control UI</title>\n`, { mode: 0o600, flag: 'wx' });
  return path;
}

/** Best effort: a missing opener or a failing one is never this command's failure. */
function tryOpen(url: string, env: NodeJS.ProcessEnv): boolean {
  const opener = browserOpener(env);
  if (!opener) return false;
  try {
    const child = spawn(opener.command, [...opener.args, writeRedirectPage(url)], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** `--scopes` as given, checked against what a Control UI login can grant. */
export function parseUiScopes(text: string | undefined): UiScope[] {
  if (text === undefined) return [...UI_SCOPES];
  const asked = text.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
  const unknown = asked.filter((scope) => !(UI_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) throw usageError(`--scopes: ${unknown.map((scope) => JSON.stringify(scope)).join(', ')} cannot be granted to the Control UI; choose from ${UI_SCOPES.join(', ')} (operator.read is always granted)`);
  return asked as UiScope[];
}

export function dashboardCommand(): Command {
  return withConnectionOptions(new Command('dashboard').description('open the Control UI with a one-time login link (and print the link)'))
    .option('--no-open', 'only print the link, do not start a browser')
    .option('--scopes <list>', `what the page may do, comma-separated (default: all of ${UI_SCOPES.join(', ')}; operator.read is always granted)`)
    .action(
      action(async (flags) => {
        const scopes = parseUiScopes(flags.scopes as string | undefined);
        const target = resolveTarget(flags);
        if (target.token === undefined) {
          throw usageError("no gateway token here: run tether dashboard on the gateway's machine, or pass --token (or set TETHER_GATEWAY_TOKEN)");
        }
        // The page trades the code for the token over this same transport: plain http beyond loopback
        // would hand the token to anyone on the network, so the CLI's plaintext rule applies here too.
        try {
          checkPlaintextAllowed(target.url, flags.insecure === true, 'tether dashboard');
        } catch (error) {
          throw usageError((error as Error).message);
        }
        const url = dashboardUrl(target.url, mintLoginCode(target.token, { scopes }));
        const opened = flags.open !== false && tryOpen(url, process.env);
        const minutes = Math.round(LOGIN_CODE_TTL_MS / 60_000);
        const granted = ['operator.read', ...scopes.filter((scope) => scope !== 'operator.read')];
        if (flags.json) return printJson({ url, expiresInMs: LOGIN_CODE_TTL_MS, opened, scopes: granted });
        printLines([
          `Control UI login link (works once, for ${minutes} minutes; pairs that browser as an operator device with ${granted.join(', ')}):`,
          `  ${url}`,
          opened ? 'Opened it in your browser.' : 'Open it in a browser on a machine that can reach the gateway.',
        ]);
      }),
    );
}
