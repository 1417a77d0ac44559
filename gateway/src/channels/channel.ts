/**
 * The one interface every chat channel implements (issue 10): start, stop, status, inbound messages
 * handed to the conversation layer, outbound text / media / typing. A channel's SDK is imported only
 * inside its own folder, and only when that channel is configured. Not wired into the gateway yet:
 * the access policy, pairing codes, session keys and chunking it will use are in this folder.
 */
export interface InboundMessage {
  channel: string;
  chatId: string;
  chatKind: 'dm' | 'group';
  senderId: string;
  senderName?: string;
  text: string;
  /** In a group: the message mentions the bot or replies to it. */
  mentioned: boolean;
  messageId: string;
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
}

export interface Channel {
  readonly name: string;
  /** The platform's longest message, for chunkText. */
  readonly textLimit: number;
  start(onMessage: (message: InboundMessage) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
  status(): ChannelStatus;
  sendText(chatId: string, text: string): Promise<void>;
  sendMedia(chatId: string, media: OutboundMedia): Promise<void>;
  sendTyping(chatId: string): Promise<void>;
}
