/**
 * The seam between the WhatsApp channel and Baileys: the few parts of a Baileys socket the channel
 * uses, and `makeBaileysSocket`, the one function that imports Baileys (dynamically: a gateway that
 * never connects to WhatsApp never loads it). Tests replace the factory with a fake socket that emits
 * Baileys' event shapes (test/helpers/fake-whatsapp.ts).
 *
 * The auth folder holds the linked device's keys: whoever reads it can read and send the account's
 * messages. It is kept 0700 and every file in it 0600, whatever Baileys' own writes would leave.
 */
import { chmod, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { safeLabel } from '@tether/protocol';
import type { Logger } from '../../log.js';
import { userJid } from './whatsapp-ids.js';

/** `connection.update` as Baileys emits it; `lastDisconnect.error` is a Boom with output.statusCode. */
export interface WhatsAppConnectionUpdate {
  connection?: 'open' | 'connecting' | 'close';
  lastDisconnect?: { error?: unknown; date?: Date };
  qr?: string;
  isNewLogin?: boolean;
}

/** `messages.upsert`: the messages are untrusted WAMessage objects, checked field by field. */
export interface WhatsAppUpsert {
  messages: readonly unknown[];
  type: string;
}

export interface WhatsAppSocketEvents {
  'messages.upsert': WhatsAppUpsert;
  'connection.update': WhatsAppConnectionUpdate;
  'creds.update': unknown;
}

type MediaSource = { url: string };
export type WhatsAppContent =
  | { text: string; linkPreview?: null }
  | { image: MediaSource; caption?: string; mimetype?: string }
  | { video: MediaSource; caption?: string; mimetype?: string }
  | { document: MediaSource; mimetype: string; fileName: string; caption?: string };

export interface WhatsAppSocket {
  readonly ev: { on<E extends keyof WhatsAppSocketEvents>(event: E, listener: (data: WhatsAppSocketEvents[E]) => void): void };
  /** The linked account once connected: `id` is the phone JID (with a device part), `lid` the LID. */
  readonly user?: { id?: string; lid?: string } | undefined;
  sendMessage(jid: string, content: WhatsAppContent): Promise<{ key?: { id?: string | null } } | undefined>;
  sendPresenceUpdate(type: 'composing' | 'paused' | 'available' | 'unavailable', jid?: string): Promise<void>;
  end(error: Error | undefined): void;
}

export interface WhatsAppSession {
  socket: WhatsAppSocket;
  /** Writes the credentials Baileys holds in memory (called on every `creds.update`). */
  saveCreds(): Promise<void>;
}

export interface MakeSocketOptions {
  authDir: string;
  /** WhatsApp Web's socket URL; Baileys' default (wss://web.whatsapp.com/ws/chat) when absent. */
  wsUrl?: string;
  log: Logger;
}

export type MakeWhatsAppSocket = (options: MakeSocketOptions) => Promise<WhatsAppSession>;

/** Baileys' statusCode on a close (DisconnectReason), from the Boom it attaches; undefined if none. */
export function disconnectCode(update: WhatsAppConnectionUpdate): number | undefined {
  const error = update.lastDisconnect?.error as { output?: { statusCode?: unknown } } | undefined;
  const code = error?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** DisconnectReason values this channel acts on (lib/Types/index.d.ts in baileys 7.0.0-rc14). */
export const DISCONNECT = { loggedOut: 401, connectionLost: 408, connectionClosed: 428, connectionReplaced: 440, restartRequired: 515 } as const;

/** The auth folder 0700 and each file in it 0600 (a folder made by Baileys or by hand is tightened). */
export async function tightenAuthDir(authDir: string): Promise<void> {
  await mkdir(authDir, { recursive: true, mode: 0o700 });
  const info = await lstat(authDir);
  if (!info.isDirectory()) throw new Error(`the WhatsApp auth folder ${authDir} is not a folder`);
  if ((info.mode & 0o777) !== 0o700) await chmod(authDir, 0o700);
  for (const name of await readdir(authDir)) {
    const file = await lstat(join(authDir, name)).catch(() => undefined);
    if (file?.isFile() && (file.mode & 0o777) !== 0o600) await chmod(join(authDir, name), 0o600).catch(() => undefined);
  }
}

/** The account linked in `authDir` (its phone JID and LID), or undefined when none is. */
export async function readLinkedAccount(authDir: string): Promise<{ id: string; lid?: string } | undefined> {
  let creds: unknown;
  try {
    creds = JSON.parse(await readFile(join(authDir, 'creds.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const me = (creds as { me?: { id?: unknown; lid?: unknown } } | null)?.me;
  const id = userJid(me?.id);
  if (!id) return undefined;
  const lid = userJid(me?.lid);
  return lid ? { id, lid } : { id };
}

type AuthState = { creds: unknown; keys: { get: unknown; set(data: unknown): Promise<void> } };
type UseMultiFileAuthState = (folder: string) => Promise<{ state: AuthState; saveCreds(): Promise<void> }>;

/** useMultiFileAuthState with the folder and every file it writes kept private. */
export async function openPrivateAuthState(authDir: string, useMultiFileAuthState: UseMultiFileAuthState): Promise<{ state: AuthState; saveCreds(): Promise<void> }> {
  await tightenAuthDir(authDir);
  const auth = await useMultiFileAuthState(authDir);
  const keys = auth.state.keys;
  const set = keys.set.bind(keys);
  // Baileys writes with the process umask; inside a 0700 folder nothing is readable meanwhile.
  keys.set = async (data) => {
    await set(data);
    await tightenAuthDir(authDir);
  };
  return {
    state: auth.state,
    saveCreds: async () => {
      await auth.saveCreds();
      await tightenAuthDir(authDir);
    },
  };
}

/**
 * Baileys' pino-style logger routed to ours: its errors as warnings, its warnings as debug, the rest
 * dropped. Only the message string is kept: the objects it logs can hold keys and message content.
 */
export function baileysLogger(log: Logger): BaileysLogger {
  const line = (obj: unknown, msg?: string) => {
    const text = typeof obj === 'string' ? obj : (msg ?? (obj instanceof Error ? obj.message : ''));
    const error = (obj as { err?: unknown; error?: unknown } | null)?.err ?? (obj as { error?: unknown } | null)?.error;
    const why = error instanceof Error ? `: ${error.message}` : '';
    return `whatsapp: baileys: ${safeLabel(`${text}${why}`, 300)}`;
  };
  const logger: BaileysLogger = {
    level: 'warn',
    child: () => logger,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => log.debug(line(obj, msg)),
    error: (obj, msg) => log.warn(line(obj, msg)),
  };
  return logger;
}

interface BaileysLogger {
  level: string;
  child(obj: Record<string, unknown>): BaileysLogger;
  trace(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** The real thing: Baileys' makeWASocket on the multi-file auth state in `authDir`. */
export const makeBaileysSocket: MakeWhatsAppSocket = async ({ authDir, wsUrl, log }) => {
  const baileys = await import('baileys');
  const makeWASocket = baileys.makeWASocket ?? baileys.default;
  const { state, saveCreds } = await openPrivateAuthState(authDir, baileys.useMultiFileAuthState as unknown as UseMultiFileAuthState);
  const sock = makeWASocket({
    auth: state as Parameters<typeof makeWASocket>[0]['auth'],
    logger: baileysLogger(log) as unknown as Parameters<typeof makeWASocket>[0]['logger'],
    ...(wsUrl ? { waWebSocketUrl: wsUrl } : {}),
    browser: baileys.Browsers.ubuntu('Tether'),
    // The phone keeps its notifications; status updates and broadcasts are never decrypted.
    markOnlineOnConnect: false,
    syncFullHistory: false,
    shouldIgnoreJid: (jid: string) => baileys.isJidBroadcast(jid) || baileys.isJidNewsletter(jid),
  });
  const socket: WhatsAppSocket = {
    ev: { on: (event, listener) => sock.ev.on(event, listener as never) },
    get user() {
      return sock.user ? { id: sock.user.id, ...(sock.user.lid ? { lid: sock.user.lid } : {}) } : undefined;
    },
    sendMessage: (jid, content) => sock.sendMessage(jid, content as Parameters<typeof sock.sendMessage>[1]),
    sendPresenceUpdate: (type, jid) => sock.sendPresenceUpdate(type, jid),
    end: (error) => sock.end(error),
  };
  return { socket, saveCreds };
};
