/**
 * One WAMessage from `messages.upsert` → an InboundMessage, or undefined for anything the agent should
 * not see: our own messages, status updates and broadcasts, newsletters, protocol messages (deletes,
 * edits, key shares), reactions and media without text. Every field is untrusted and checked here.
 *
 * The sender is matched by both of their ids (see whatsapp-ids.ts): in a 1:1 chat `key.remoteJid` and
 * `key.remoteJidAlt`, in a group `key.participant` and `key.participantAlt` (baileys 7.0.0-rc14; the
 * older rc names senderPn / senderLid / participantPn / participantLid are read too). Whichever is not
 * the sender id goes to senderAliases.
 */
import type { InboundMessage } from '../channel.js';
import { isGroupJid, userJid } from './whatsapp-ids.js';

/** Longer text is cut here already (the conversation cuts at 32,000); WhatsApp itself caps at 65,536. */
export const MAX_WHATSAPP_INBOUND_CHARS = 65_536;

export interface BotIds {
  /** The linked account's phone JID and LID, normalised (no device part). */
  ids: readonly string[];
}

type Rec = Record<string, unknown>;
const rec = (value: unknown): Rec | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Wrappers WhatsApp puts around a message's content (disappearing messages, view once, …). */
const WRAPPERS = ['ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'viewOnceMessageV2Extension', 'documentWithCaptionMessage'] as const;

function unwrap(message: Rec | undefined): Rec | undefined {
  let content = message;
  for (let depth = 0; depth < 4 && content; depth++) {
    const wrapper = WRAPPERS.map((name) => rec(rec(content![name])?.message)).find(Boolean);
    if (!wrapper) break;
    content = wrapper;
  }
  return content;
}

export function toInboundMessage(raw: unknown, bot: BotIds): InboundMessage | undefined {
  const message = rec(raw);
  const key = rec(message?.key);
  if (!message || !key) return undefined;
  if (key.fromMe === true) return undefined;
  const chatId = str(key.remoteJid)?.toLowerCase();
  const messageId = str(key.id);
  if (!chatId || !messageId || messageId.length > 128 || !/^[\x21-\x7e]+$/.test(messageId)) return undefined;

  const content = unwrap(rec(message.message));
  if (!content || content.protocolMessage !== undefined || content.reactionMessage !== undefined) return undefined;
  const extended = rec(content.extendedTextMessage);
  const text = str(content.conversation) ?? str(extended?.text);
  if (text === undefined || text.trim() === '') return undefined;

  let chatKind: 'dm' | 'group';
  let ids: (string | undefined)[];
  if (isGroupJid(chatId)) {
    chatKind = 'group';
    ids = [key.participant, key.participantAlt, key.participantPn, key.participantLid].map(userJid);
  } else if (userJid(chatId) === chatId) {
    chatKind = 'dm';
    ids = [key.remoteJid, key.remoteJidAlt, key.senderPn, key.senderLid].map(userJid);
  } else {
    // status@broadcast, other broadcasts, newsletters, a JID with a device part: not a chat we answer.
    return undefined;
  }
  const [senderId, ...others] = [...new Set(ids.filter((id): id is string => id !== undefined))];
  if (!senderId) return undefined;

  const contextInfo = rec(extended?.contextInfo);
  const mentions = Array.isArray(contextInfo?.mentionedJid) ? contextInfo.mentionedJid.slice(0, 256).map(userJid) : [];
  const repliedTo = contextInfo?.quotedMessage !== undefined ? userJid(contextInfo?.participant) : undefined;
  const mentioned = chatKind === 'group' && bot.ids.some((id) => mentions.includes(id) || repliedTo === id);

  const name = senderName(message.pushName);
  return {
    channel: 'whatsapp',
    chatId,
    chatKind,
    senderId,
    ...(others.length > 0 ? { senderAliases: others } : {}),
    ...(name ? { senderName: name } : {}),
    text: text.length > MAX_WHATSAPP_INBOUND_CHARS ? text.slice(0, MAX_WHATSAPP_INBOUND_CHARS) : text,
    mentioned,
    messageId,
  };
}

/** A push name (chosen by the sender) without control or bidi characters, at most 64 characters. */
function senderName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '').trim().slice(0, 64);
  return clean === '' ? undefined : clean;
}
