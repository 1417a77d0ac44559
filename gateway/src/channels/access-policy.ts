/**
 * Who may reach the agent through a chat channel. A stranger never does: under `pairing` (the default)
 * they get a short code the owner approves with `tether channels pairing approve <code>`; under
 * `allowlist` they are dropped; `open` needs an explicit "*" in allowFrom; `disabled` answers no one.
 * In groups the bot answers only when mentioned, and only senders allowed in groups. Every refusal
 * says why, for the log.
 */
export type DmPolicy = 'pairing' | 'allowlist' | 'open' | 'disabled';

export interface ChannelAccessConfig {
  dmPolicy: DmPolicy;
  /** Sender ids allowed in DMs ("*" = anyone, only meaningful with dmPolicy "open"). */
  allowFrom: readonly string[];
  /** Sender ids allowed to talk to the bot in groups (by mention); empty = nobody. */
  groupAllowFrom: readonly string[];
}

export interface Sender {
  chatKind: 'dm' | 'group';
  senderId: string;
  /** Other ids of the same sender (WhatsApp phone-number JID and LID); any of them may match. */
  senderAliases?: readonly string[];
  /** In a group: the message mentions the bot or replies to it. */
  mentioned: boolean;
}

export type AccessDecision =
  | { allow: true }
  | { allow: false; reason: 'dm-disabled' | 'not-allowed' | 'not-mentioned' | 'group-sender-not-allowed'; pairing?: boolean };

/** A config that would let strangers in by accident is an error, said with the fix. */
export function checkAccessConfig(channel: string, config: ChannelAccessConfig): string | undefined {
  if (config.dmPolicy === 'open' && !config.allowFrom.includes('*')) {
    return `channels.${channel}.dmPolicy "open" needs allowFrom: ["*"] to say that anyone may talk to the agent; otherwise use "allowlist" or "pairing"`;
  }
  if (config.dmPolicy === 'allowlist' && config.allowFrom.length === 0) {
    return `channels.${channel}.dmPolicy "allowlist" with an empty allowFrom lets no one in; list the sender ids, or use "pairing"`;
  }
  return undefined;
}

export function decideAccess(config: ChannelAccessConfig, sender: Sender, approved: ReadonlySet<string>): AccessDecision {
  const ids = [sender.senderId, ...(sender.senderAliases ?? [])];
  const listed = (list: readonly string[]) => ids.some((id) => list.includes(id));
  if (sender.chatKind === 'group') {
    if (!sender.mentioned) return { allow: false, reason: 'not-mentioned' };
    return listed(config.groupAllowFrom) ? { allow: true } : { allow: false, reason: 'group-sender-not-allowed' };
  }
  switch (config.dmPolicy) {
    case 'disabled':
      return { allow: false, reason: 'dm-disabled' };
    case 'open':
      return config.allowFrom.includes('*') || listed(config.allowFrom) ? { allow: true } : { allow: false, reason: 'not-allowed' };
    case 'allowlist':
      return listed(config.allowFrom) ? { allow: true } : { allow: false, reason: 'not-allowed' };
    case 'pairing':
      return listed(config.allowFrom) || ids.some((id) => approved.has(id)) ? { allow: true } : { allow: false, reason: 'not-allowed', pairing: true };
  }
}
