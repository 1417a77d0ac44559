/**
 * Linking Tether to a WhatsApp account (`tether channels login whatsapp`), and unlinking it.
 *
 * loginWhatsApp connects with the credentials in authDir (fresh ones if none), hands every QR Baileys
 * offers to printQr (the phone scans it in WhatsApp → Linked devices), and resolves once the connection
 * is open with the credentials saved. After a scan WhatsApp closes the socket with restartRequired
 * (515): that is the normal second step, so login reconnects once more with the new credentials. An
 * auth folder whose credentials WhatsApp refuses (loggedOut, 401) is cleared and a new QR shown.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { safeLabel } from '@tether/protocol';
import type { Logger } from '../../log.js';
import { DISCONNECT, disconnectCode, makeBaileysSocket, readLinkedAccount, tightenAuthDir, type MakeWhatsAppSocket, type WhatsAppConnectionUpdate } from './whatsapp-socket.js';

export interface LoginWhatsAppOptions {
  authDir: string;
  /** Shows one QR code (the raw string Baileys gives; render it, e.g. with qrcode's terminal type). */
  printQr: (qr: string) => void | Promise<void>;
  log: Logger;
  makeSocket?: MakeWhatsAppSocket;
  wsUrl?: string;
  /** Gives up after this long without an open connection; default 3 minutes (WhatsApp offers ~6 QRs). */
  timeoutMs?: number;
  /** Restarts allowed (515 after the scan, dropped connections); default 5. */
  maxRestarts?: number;
}

export interface LoginWhatsAppResult {
  /** The linked account's phone JID and LID. */
  id: string;
  lid?: string;
  /** False when authDir already held working credentials (no QR was needed). */
  newLogin: boolean;
}

export class WhatsAppLoginError extends Error {}

type Outcome = { kind: 'open' } | { kind: 'close'; code: number | undefined; reason: string };

export async function loginWhatsApp(options: LoginWhatsAppOptions): Promise<LoginWhatsAppResult> {
  const { authDir, log } = options;
  const makeSocket = options.makeSocket ?? makeBaileysSocket;
  const maxRestarts = options.maxRestarts ?? 5;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let showedQr = false;
  let clearedOnce = false;

  for (let attempt = 0; ; attempt++) {
    await tightenAuthDir(authDir);
    const session = await makeSocket({ authDir, ...(options.wsUrl ? { wsUrl: options.wsUrl } : {}), log });
    const sock = session.socket;
    let saving: Promise<void> = Promise.resolve();
    sock.ev.on('creds.update', () => {
      saving = saving.then(() => session.saveCreds()).catch((error: unknown) => log.warn(`whatsapp: saving the credentials failed: ${describe(error)}`));
    });
    const outcome = await new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'close', code: undefined, reason: 'timed out waiting for the QR code to be scanned' }), Math.max(0, deadline - Date.now()));
      sock.ev.on('connection.update', (update: WhatsAppConnectionUpdate) => {
        if (typeof update.qr === 'string') {
          showedQr = true;
          void Promise.resolve(options.printQr(update.qr)).catch((error: unknown) => log.warn(`whatsapp: showing the QR code failed: ${describe(error)}`));
        }
        if (update.connection === 'open') {
          clearTimeout(timer);
          resolve({ kind: 'open' });
        } else if (update.connection === 'close') {
          clearTimeout(timer);
          const error = update.lastDisconnect?.error;
          resolve({ kind: 'close', code: disconnectCode(update), reason: error instanceof Error ? describe(error) : 'closed' });
        }
      });
    });
    if (outcome.kind === 'open') {
      await saving;
      await session.saveCreds();
      sock.end(undefined);
      const account = await readLinkedAccount(authDir);
      if (!account) throw new WhatsAppLoginError('WhatsApp opened the connection but no account was saved in the auth folder');
      log.info(`whatsapp: linked as ${safeLabel(account.id, 64)}`);
      return { ...account, newLogin: showedQr };
    }
    sock.end(undefined);
    await saving;
    if (outcome.code === undefined && Date.now() >= deadline) throw new WhatsAppLoginError(`WhatsApp login ${outcome.reason}: run the command again and scan the code within a minute`);
    if (outcome.code === DISCONNECT.loggedOut) {
      if (clearedOnce || showedQr) throw new WhatsAppLoginError('WhatsApp refused the link (logged out): run the command again and scan a fresh code');
      // Old credentials the phone has unlinked: start over with a new QR.
      log.info('whatsapp: the saved credentials were logged out; starting a fresh link');
      clearedOnce = true;
      await removeAuthFiles(authDir);
      continue;
    }
    if (attempt >= maxRestarts) throw new WhatsAppLoginError(`WhatsApp login failed: connection closed (${outcome.code ?? '-'} ${outcome.reason})`);
    if (outcome.code !== DISCONNECT.restartRequired) log.warn(`whatsapp: connection closed during login (${outcome.code ?? '-'} ${outcome.reason}); retrying`);
  }
}

/** Removes the linked device's credentials; the phone may still list it under Linked devices. */
export async function logoutWhatsApp(options: { authDir: string }): Promise<{ removed: boolean }> {
  const linked = (await readLinkedAccount(options.authDir)) !== undefined;
  await removeAuthFiles(options.authDir);
  return { removed: linked };
}

/**
 * Deletes what Baileys keeps in the auth folder (`creds.json` and its `<kind>-<id>.json` keys) and then
 * the folder if that left it empty. Never a recursive delete: `authDir` is the owner's setting, and a
 * mistaken one (the state dir, the home folder) must not take anything else with it.
 */
async function removeAuthFiles(authDir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(authDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) if (entry.isFile() && BAILEYS_FILE.test(entry.name)) await rm(join(authDir, entry.name), { force: true });
  await rmdir(authDir).catch(() => undefined); // kept when anything else is in it
}

/** `creds.json` and `pre-key-1.json`, `session-….json`, `app-state-sync-key-….json`, …, as useMultiFileAuthState names them. */
const BAILEYS_FILE = /^(creds|(pre-key|session|sender-key|sender-key-memory|app-state-sync-key|app-state-sync-version|lid-mapping|device-list|tctoken|identity-key)-[^/]{1,200})\.json$/;

function describe(error: unknown): string {
  return safeLabel(error instanceof Error ? error.message : String(error), 200);
}
