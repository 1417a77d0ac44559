/**
 * A fake Baileys socket for the WhatsApp channel's seam (gateway/src/channels/whatsapp/whatsapp-socket.ts).
 * It emits Baileys 7.0.0-rc14's event shapes: `connection.update` ({connection, lastDisconnect: {error:
 * Boom-like with output.statusCode}, qr}), `messages.upsert` ({messages: WAMessage[], type: 'notify'})
 * and `creds.update`. Like the real socket it refuses to send before "open" or after a close (Boom 428
 * "Connection Closed") and refuses a JID that is not a user, LID or group JID.
 *
 * A real WhatsApp server is out of reach for a test (Noise XX, the binary XML codec and Signal sessions:
 * see the reference §2.4), so this is the seam OpenClaw also tests at.
 */
import type { MakeWhatsAppSocket, WhatsAppConnectionUpdate, WhatsAppContent, WhatsAppSocket, WhatsAppSocketEvents } from '../../gateway/src/channels/whatsapp/whatsapp-socket.js';

type Listener = (data: never) => void;

/** An Error shaped like Baileys' Boom for DisconnectReason closes. */
export function boom(statusCode: number, message = 'Connection Failure'): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, error: 'Error', message } }, data: undefined });
}

export class FakeWhatsAppSocket implements WhatsAppSocket {
  private readonly listeners = new Map<string, Listener[]>();
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  sent: { jid: string; content: WhatsAppContent }[] = [];
  presence: { type: string; jid?: string }[] = [];
  ended = false;
  user: { id?: string; lid?: string } | undefined;
  private nextId = 0;

  constructor(private readonly account: { id: string; lid?: string }) {}

  readonly ev = {
    on: <E extends keyof WhatsAppSocketEvents>(event: E, listener: (data: WhatsAppSocketEvents[E]) => void) => {
      const list = this.listeners.get(event) ?? [];
      list.push(listener as Listener);
      this.listeners.set(event, list);
    },
  };

  /** Someone listens for connection.update (the channel or login has wired the socket up). */
  get wired(): boolean {
    return (this.listeners.get('connection.update')?.length ?? 0) > 0;
  }

  emit<E extends keyof WhatsAppSocketEvents>(event: E, data: WhatsAppSocketEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (d: WhatsAppSocketEvents[E]) => void)(data);
  }

  open(): void {
    this.state = 'open';
    this.user = { id: this.account.id.replace('@', ':7@'), ...(this.account.lid ? { lid: this.account.lid.replace('@', ':7@') } : {}) };
    this.emit('connection.update', { connection: 'open' });
  }

  close(statusCode: number, message?: string): void {
    this.state = 'closed';
    this.emit('connection.update', { connection: 'close', lastDisconnect: { error: boom(statusCode, message), date: new Date(0) } });
  }

  qr(code: string): void {
    this.emit('connection.update', { qr: code } satisfies WhatsAppConnectionUpdate);
  }

  upsert(messages: unknown[], type: 'notify' | 'append' = 'notify'): void {
    this.emit('messages.upsert', { messages, type });
  }

  async sendMessage(jid: string, content: WhatsAppContent) {
    if (this.state !== 'open') throw boom(428, 'Connection Closed');
    if (!/^\d+@(s\.whatsapp\.net|lid)$|^[\d-]+@g\.us$/.test(jid)) throw boom(400, `jid ${jid} is not a user or group`);
    this.sent.push({ jid, content });
    return { key: { remoteJid: jid, fromMe: true, id: `3EB0${String(++this.nextId).padStart(8, '0')}` } };
  }

  async sendPresenceUpdate(type: 'composing' | 'paused' | 'available' | 'unavailable', jid?: string) {
    if (this.state !== 'open') throw boom(428, 'Connection Closed');
    this.presence.push({ type, ...(jid ? { jid } : {}) });
  }

  end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const wasOpen = this.state !== 'closed';
    this.state = 'closed';
    // Baileys' end() emits the close itself (DisconnectReason.connectionClosed when no error is given).
    if (wasOpen) this.emit('connection.update', { connection: 'close', lastDisconnect: { error: error ?? boom(428, 'Connection Closed'), date: new Date(0) } });
  }

  texts(): string[] {
    return this.sent.flatMap((s) => ('text' in s.content ? [s.content.text] : []));
  }
}

/** A factory handing out fake sockets; each call (a connect or reconnect) makes a new one. */
export function fakeSocketFactory(account: { id: string; lid?: string }, options: { onSocket?: (socket: FakeWhatsAppSocket) => void; onSave?: () => void | Promise<void> } = {}) {
  const sockets: FakeWhatsAppSocket[] = [];
  let saves = 0;
  const makeSocket: MakeWhatsAppSocket = async () => {
    const socket = new FakeWhatsAppSocket(account);
    sockets.push(socket);
    options.onSocket?.(socket);
    return {
      socket,
      saveCreds: async () => {
        saves++;
        await options.onSave?.();
      },
    };
  };
  return {
    makeSocket,
    sockets,
    get saves() {
      return saves;
    },
    get last(): FakeWhatsAppSocket {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket made yet');
      return socket;
    },
  };
}

let nextMessageId = 0;

/** A WAMessage as Baileys 7 delivers a 1:1 text: remoteJid is the chat, remoteJidAlt the other id. */
export function dmMessage(from: { jid: string; alt?: string }, text: string, extra: { pushName?: string; id?: string } = {}) {
  return {
    key: {
      remoteJid: from.jid,
      ...(from.alt ? { remoteJidAlt: from.alt } : {}),
      fromMe: false,
      id: extra.id ?? `3A${String(++nextMessageId).padStart(10, '0')}`,
      participant: undefined,
      addressingMode: from.jid.endsWith('@lid') ? 'lid' : 'pn',
    },
    messageTimestamp: 1_767_000_000,
    pushName: extra.pushName ?? 'Alice',
    broadcast: false,
    message: { conversation: text },
  };
}

/** A WAMessage in a group: the sender is key.participant (+ participantAlt), text with mentionedJid. */
export function groupMessage(group: string, from: { jid: string; alt?: string }, text: string, mentionedJid: string[] = []) {
  return {
    key: {
      remoteJid: group,
      fromMe: false,
      id: `3A${String(++nextMessageId).padStart(10, '0')}`,
      participant: from.jid,
      ...(from.alt ? { participantAlt: from.alt } : {}),
      addressingMode: from.jid.endsWith('@lid') ? 'lid' : 'pn',
    },
    messageTimestamp: 1_767_000_000,
    pushName: 'Bob',
    broadcast: false,
    message: { extendedTextMessage: { text, contextInfo: { mentionedJid } } },
  };
}
