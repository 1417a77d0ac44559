/**
 * WhatsApp ids. A person has two: the phone-number JID (`4915112345678@s.whatsapp.net`) and, since
 * WhatsApp's move to "linked identities", a LID (`123456789012345@lid`) that says nothing about the
 * number. Messages arrive addressed by either, with the other in an "alt" field, so config ids and
 * inbound ids are both brought to the bare user JID (no device suffix) and compared as sets.
 */
import { ChannelsConfigError } from '../channel-definition.js';

const PHONE_JID = /^(\d{5,20})(?::\d{1,4})?@s\.whatsapp\.net$/;
const LID_JID = /^(\d{5,24})(?::\d{1,4})?@lid$/;

export class WhatsAppIdError extends ChannelsConfigError {}

/** A user JID (phone or LID) without its device part, or undefined for anything else. */
export function userJid(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const jid = value.trim().toLowerCase();
  const phone = PHONE_JID.exec(jid);
  if (phone) return `${phone[1]}@s.whatsapp.net`;
  const lid = LID_JID.exec(jid);
  if (lid) return `${lid[1]}@lid`;
  return undefined;
}

export const isGroupJid = (jid: string): boolean => /^[\d-]{5,64}@g\.us$/.test(jid);

/**
 * A config id (`allowFrom`, `owners`, `approvers`): an E.164 number (`+49 151 1234 5678`), a phone
 * JID or a LID, normalised to its JID. Anything else is refused with what to write instead.
 */
export function normaliseWhatsAppId(id: string, key = 'channels.whatsapp'): string {
  const raw = id.trim().replace(/^whatsapp:/i, '');
  if (raw.startsWith('+')) {
    const digits = raw.slice(1).replace(/[\s().-]/g, '');
    if (/^[1-9]\d{5,14}$/.test(digits)) return `${digits}@s.whatsapp.net`;
    throw new WhatsAppIdError(`${key}: "${shown(id)}" is not an E.164 phone number (a "+", the country code and the number, at most 15 digits)`);
  }
  const jid = userJid(raw);
  if (jid) return jid;
  if (/^\d+$/.test(raw)) throw new WhatsAppIdError(`${key}: "${shown(id)}" needs a leading "+" and the country code (E.164, e.g. +4915112345678), or write the JID <digits>@s.whatsapp.net`);
  if (raw.toLowerCase().endsWith('@g.us')) throw new WhatsAppIdError(`${key}: "${shown(id)}" is a group; list the people allowed (their phone numbers or <digits>@lid ids), not the group`);
  throw new WhatsAppIdError(`${key}: "${shown(id)}" is not a WhatsApp id: use an E.164 phone number (+4915112345678), <digits>@s.whatsapp.net or <digits>@lid`);
}

function shown(id: string): string {
  // eslint-disable-next-line no-control-regex
  return id.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?').slice(0, 64);
}
