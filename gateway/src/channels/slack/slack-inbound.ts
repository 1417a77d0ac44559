/**
 * What a Slack event means to Tether, as pure functions (no SDK): a `message` / `app_mention` event →
 * InboundMessage, a `block_actions` payload → the button press. Everything here arrived from Slack and
 * is validated as untrusted: ids must look like Slack ids (they become session keys and API arguments),
 * bot messages, edits and every other subtype are dropped, names lose control and bidi characters.
 */
import type { InboundMessage } from '../channel.js';

export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;
export const SLACK_CONVERSATION_ID = /^[CDG][A-Z0-9]{2,30}$/;
const SLACK_TS = /^\d{1,12}\.\d{1,9}$/;
/** Our buttons' action_id prefix: presses on anything else (another app's blocks) are not ours. */
export const BUTTON_ACTION_PREFIX = 'tether_button_';
/** Slack caps a button value at 2,000 characters; ours are at most 64 bytes. Longer is not ours. */
const MAX_BUTTON_DATA = 256;
/** Slack truncates messages at 40,000 characters; anything longer did not come from Slack's own limits. */
export const MAX_INBOUND_TEXT = 40_000;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A display name made inert: control, format (bidi) and line-separator characters removed, at most 64. */
export function cleanName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').trim().slice(0, 64);
  return cleaned === '' ? undefined : cleaned;
}

/** Slack escapes &, < and > in message text; the agent reads the characters the person typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export type SkipReason = 'not-a-message' | 'subtype' | 'bot' | 'bad-ids' | 'no-text';

/**
 * A `message` or `app_mention` event as an InboundMessage, or why it is skipped. `botUserId` is the
 * bot's own user id (from auth.test): `<@BOTID>` in the text makes a channel message `mentioned`, and
 * the mention itself is taken out of the text.
 */
export function messageFromEvent(event: unknown, botUserId: string | undefined): InboundMessage | { skip: SkipReason } {
  if (!isObject(event) || (event.type !== 'message' && event.type !== 'app_mention')) return { skip: 'not-a-message' };
  // Edits (message_changed), deletions, joins, bot_message, file shares, thread broadcasts…: not a new
  // message someone typed to the bot.
  if (event.subtype !== undefined || event.edited !== undefined || event.hidden !== undefined) return { skip: 'subtype' };
  if (event.bot_id !== undefined || event.bot_profile !== undefined) return { skip: 'bot' };
  const user = str(event.user);
  const channel = str(event.channel);
  const ts = str(event.ts);
  if (!user || !SLACK_USER_ID.test(user) || !channel || !SLACK_CONVERSATION_ID.test(channel) || !ts || !SLACK_TS.test(ts)) return { skip: 'bad-ids' };
  if (botUserId && user === botUserId) return { skip: 'bot' };
  const full = str(event.text);
  if (full === undefined) return { skip: 'no-text' };
  const raw = full.length > MAX_INBOUND_TEXT ? full.slice(0, MAX_INBOUND_TEXT) : full;
  const channelType = str(event.channel_type);
  // app_mention carries no channel_type; a D… id is a direct conversation.
  const dm = channelType === 'im' || (channelType === undefined && channel.startsWith('D'));
  const mentionToken = botUserId && SLACK_USER_ID.test(botUserId) ? new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g') : undefined;
  const mentioned = event.type === 'app_mention' || (mentionToken !== undefined && raw.replace(mentionToken, '') !== raw);
  const text = unescapeSlackText(mentionToken ? raw.replace(mentionToken, ' ') : raw).replace(/^\s+|\s+$/g, '');
  if (text === '') return { skip: 'no-text' };
  const profile = isObject(event.user_profile) ? event.user_profile : undefined;
  const name = cleanName(profile?.display_name) ?? cleanName(profile?.real_name) ?? cleanName(profile?.name) ?? cleanName(event.username);
  return {
    channel: 'slack',
    chatId: channel,
    chatKind: dm ? 'dm' : 'group',
    senderId: user,
    ...(name ? { senderName: name } : {}),
    text,
    mentioned: dm ? false : mentioned,
    messageId: ts,
  };
}

export interface SlackButtonPress {
  chatId: string;
  senderId: string;
  senderName?: string;
  data: string;
  messageId?: string;
}

/** A `block_actions` payload's press on one of our buttons, or undefined (not ours, malformed). */
export function buttonPressFromBody(body: unknown): SlackButtonPress | undefined {
  if (!isObject(body) || body.type !== 'block_actions') return undefined;
  const user = isObject(body.user) ? body.user : undefined;
  const senderId = str(user?.id);
  if (!senderId || !SLACK_USER_ID.test(senderId)) return undefined;
  const container = isObject(body.container) ? body.container : undefined;
  const chatId = str(isObject(body.channel) ? body.channel.id : undefined) ?? str(container?.channel_id);
  if (!chatId || !SLACK_CONVERSATION_ID.test(chatId)) return undefined;
  const actions = Array.isArray(body.actions) ? body.actions : [];
  const action = actions.find((a): a is Json => isObject(a) && a.type === 'button' && typeof a.action_id === 'string' && a.action_id.startsWith(BUTTON_ACTION_PREFIX));
  const data = str(action?.value);
  if (!action || data === undefined || data === '' || data.length > MAX_BUTTON_DATA) return undefined;
  const messageTs = str(isObject(body.message) ? body.message.ts : undefined) ?? str(container?.message_ts);
  const name = cleanName(user?.name) ?? cleanName(user?.username);
  return {
    chatId,
    senderId,
    ...(name ? { senderName: name } : {}),
    data,
    ...(messageTs && SLACK_TS.test(messageTs) ? { messageId: messageTs } : {}),
  };
}
