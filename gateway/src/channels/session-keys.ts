/**
 * The agent session of a chat peer or group: `agent:main:<channel>:dm:<peer>` and
 * `agent:main:<channel>:group:<chat>`, as OpenClaw keys them. Platform ids that session keys cannot
 * hold (WhatsApp JIDs have `@` and `:`, group ids may be long) are replaced by a hash, so two peers can
 * never share a session and no id can smuggle a separator into the key.
 */
import { createHash } from 'node:crypto';
import { parseSessionKey } from '../agent/sessions/session-key.js';

const SAFE_PART = /^[A-Za-z0-9._@+-]{1,64}$/;

function part(value: string): string {
  return SAFE_PART.test(value) && !value.includes(':') ? value : `h-${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

export function channelSessionKey(channel: string, chatKind: 'dm' | 'group', id: string): string {
  const key = `agent:main:${part(channel)}:${chatKind}:${part(id)}`;
  parseSessionKey(key);
  return key;
}
