/**
 * The one interface every chat channel implements (issue 10): start, stop, status, inbound messages and
 * button presses handed to the conversation layer, outbound text (optionally with buttons) / media /
 * typing. A channel's SDK is imported only inside its own folder, and only when that channel is
 * configured (see channel-definition.ts and registry.ts).
 */
export interface InboundMessage {
  channel: string;
  chatId: string;
  chatKind: 'dm' | 'group';
  senderId: string;
  /** Other ids the same sender is known by (WhatsApp: the phone-number JID and the LID); matched too. */
  senderAliases?: readonly string[];
  senderName?: string;
  text: string;
  /** In a group: the message mentions the bot or replies to it. */
  mentioned: boolean;
  messageId: string;
  /**
   * The photos attached, fetched only when called: the conversation layer calls it after the access
   * check, so a stranger cannot make the gateway download anything. Rejects with ChannelMediaError.
   */
  fetchImages?: () => Promise<InboundImage[]>;
}

export interface InboundImage {
  mimeType: 'image/jpeg' | 'image/png' | 'image/webp';
  base64: string;
}

/** Largest photo taken from a chat message (the agent downscales what it sends the model). */
export const MAX_INBOUND_IMAGE_BYTES = 10 * 1024 * 1024;

/** A photo that could not be taken: too big, not an image, the platform refused. Said to the sender. */
export class ChannelMediaError extends Error {}

/** A button under a message. `data` comes back verbatim in an InboundAction (at most 64 bytes). */
export interface ChannelButton {
  label: string;
  data: string;
}

/** Someone pressed a button (or its platform's equivalent). Untrusted like any inbound message. */
export interface InboundAction {
  channel: string;
  chatId: string;
  senderId: string;
  senderAliases?: readonly string[];
  senderName?: string;
  data: string;
  /** The message the button was under, when the platform says. */
  messageId?: string;
  /** Acknowledges the press to the presser (a toast, an ephemeral line); never throws. */
  acknowledge(text: string): Promise<void>;
}

export interface OutboundMedia {
  path: string;
  mimeType: string;
  caption?: string;
}

export interface ChannelStatus {
  state: 'stopped' | 'starting' | 'connected' | 'reconnecting' | 'failed';
  reason?: string;
  lastMessageAtMs?: number;
  /** When the platform was last heard from at all (a poll answered, a heartbeat acknowledged). */
  lastActivityAtMs?: number;
}

export interface ChannelHandlers {
  onMessage(message: InboundMessage): Promise<void>;
  onAction(action: InboundAction): Promise<void>;
}

export interface SentMessage {
  messageId: string;
}

export interface Channel {
  readonly name: string;
  /** The platform's longest message, for chunkText. */
  readonly textLimit: number;
  /** Whether sendText can attach buttons; without them approvals are answered by reply commands. */
  readonly supportsButtons: boolean;
  /**
   * sendText's text is read as the platform's markdown (`*`, `_`, `~`, `||`, links): what must be read
   * literally (an approval's command line) goes in a code block, and is refused if it holds a backtick.
   */
  readonly rendersMarkdown?: boolean;
  start(handlers: ChannelHandlers): Promise<void>;
  stop(): Promise<void>;
  status(): ChannelStatus;
  sendText(chatId: string, text: string, options?: { buttons?: readonly ChannelButton[] }): Promise<SentMessage | undefined>;
  /** Replaces a message's text and removes its buttons (an answered approval); optional. */
  editText?(chatId: string, messageId: string, text: string): Promise<void>;
  sendMedia(chatId: string, media: OutboundMedia): Promise<void>;
  sendTyping(chatId: string): Promise<void>;
  /**
   * How long a connected channel may go without hearing from its platform before it counts as deaf
   * and is restarted (deaf-watchdog.ts); absent = not watched.
   */
  readonly deafAfterMs?: number;
  /** Drops the platform connection and makes a new one (a deaf channel); optional. */
  restart?(reason: string): Promise<void>;
  /** A delivery to POST /channels/<name>/webhook (the body parsed as JSON, at most 1 MiB); optional. */
  handleWebhook?(delivery: { headers: Readonly<Record<string, string | string[] | undefined>>; body: unknown }): Promise<{ status: number; body: unknown }>;
  /** The chat id of a direct conversation with a user (Telegram: the user id; Slack/Discord open one). */
  directChatId(userId: string): Promise<string>;
}
