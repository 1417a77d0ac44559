/**
 * What a conversation does (issue 10): one inbound chat message → access check → owner command or an
 * agent run on the chat's own session → typing while it runs, one progress line for a slow tool step,
 * the answer chunked to the platform's limit, tool media as photos/videos with a caption, and a short
 * line for errors and stops. A stranger never reaches the agent: under pairing they get their code (once
 * per code), and every refusal is logged with a safe label of the sender, never the message text.
 *
 * `handle` resolves once the message is dealt with up to the start of the run: the run's reply is sent
 * in the background, so a channel that dispatches messages one at a time still delivers `/stop` while
 * a run goes. `idle()` waits for every run in flight (tests, shutdown). Queueing runs of one session is
 * the agent's job; nothing here queues.
 */
import { createHash } from 'node:crypto';
import { GatewayError, safeLabel } from '@tether/protocol';
import type { AgentRunHandle, AgentRunOutcome, AgentService, AgentStreamEvent } from '../agent/service-types.js';
import type { Logger } from '../log.js';
import { decideAccess, type ChannelAccessConfig } from './access-policy.js';
import { ChannelMediaError, type Channel, type InboundAction, type InboundImage, type InboundMessage } from './channel.js';
import type { ChatApprovals } from './chat-approvals.js';
import { chunkText } from './chunk-text.js';
import { defaultSetTimer, type SetTimer } from './supervision.js';
import type { ChannelPairing } from './pairing-codes.js';
import { channelSessionKey } from './session-keys.js';

export type { SetTimer };

export const DEFAULT_TYPING_INTERVAL_MS = 4_000;
export const DEFAULT_PROGRESS_AFTER_MS = 10_000;
/** Longer inbound text is cut before it reaches the agent (chat platforms cap far lower; this is a guard). */
export const MAX_INBOUND_CHARS = 32_000;
/** Senders remembered as already told (their pairing code, or "try later"); the oldest are forgotten first. */
const MAX_REMEMBERED = 1_000;

export interface ChannelConversationsOptions {
  channel: Channel;
  access: ChannelAccessConfig;
  pairing: ChannelPairing;
  agent: AgentService;
  /** Sender ids allowed to use the owner commands /status, /new, /stop. */
  owners?: readonly string[];
  log: Logger;
  typingIntervalMs?: number;
  progressAfterMs?: number;
  setTimer?: SetTimer;
  /** The one line `/status` answers (nodes and their state). */
  statusText?: () => string;
  /** Starts a fresh session for `/new`. */
  resetSession?: (sessionKey: string) => void | Promise<void>;
  /** Exec approvals answered from this chat (buttons and /approve /always /deny). */
  approvals?: ChatApprovals;
}

const COMMAND = /^\/(status|new|stop)(?:@[A-Za-z0-9_.-]{1,64})?$/i;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

export const REPLIES = {
  notConfigured: 'The agent is not configured on this gateway yet (no model is set). The owner can set one in the gateway config.',
  stopped: 'Stopped.',
  tryLater: 'Too many people are waiting for approval right now. Please try again later.',
  ownerOnly: 'Only the owner can use that command.',
  nothingRunning: 'Nothing is running.',
  stopping: 'Stopping…',
  newSession: 'Started a fresh conversation.',
  newUnavailable: 'Starting a fresh conversation is not available here.',
  empty: 'Done (no text in the answer).',
} as const;

export function pairingReply(code: string): string {
  return `I don't know you yet. Your pairing code is ${code}. Ask the owner to run:\ntether channels pairing approve ${code}`;
}

export function errorReply(code: string): string {
  return `Sorry, that did not work (${ERROR_CODE.test(code) ? code : 'ERROR'}).`;
}

export class ChannelConversations {
  private readonly channel: Channel;
  private readonly log: Logger;
  private readonly setTimer: SetTimer;
  private readonly typingIntervalMs: number;
  private readonly progressAfterMs: number;
  private readonly owners: ReadonlySet<string>;
  /** `${senderId}\n${code}` pairs already told, and senders told "try later". */
  private readonly toldCodes = new Set<string>();
  private readonly toldFull = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ChannelConversationsOptions) {
    this.channel = options.channel;
    this.log = options.log;
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.typingIntervalMs = options.typingIntervalMs ?? DEFAULT_TYPING_INTERVAL_MS;
    this.progressAfterMs = options.progressAfterMs ?? DEFAULT_PROGRESS_AFTER_MS;
    this.owners = new Set(options.owners ?? []);
  }

  /** Never throws: a failure is logged, and the person gets a short line when one can be sent. */
  async handle(message: InboundMessage): Promise<void> {
    try {
      await this.dispatch(message);
    } catch (error) {
      this.log.warn(`channel ${this.name}: message from ${this.who(message)} failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
    }
  }

  /** A button press: an approval answer, or ignored (acknowledged so the platform stops waiting). */
  async handleAction(action: InboundAction): Promise<void> {
    try {
      if (await this.options.approvals?.handleAction(this.channel, action)) return;
      this.log.debug(`channel ${this.name}: ignored a button press from ${safeLabel(action.senderId, 64)}`);
      await action.acknowledge('');
    } catch (error) {
      this.log.warn(`channel ${this.name}: button press from ${safeLabel(action.senderId, 64)} failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
    }
  }

  /** Resolves when every run started so far has been answered. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private get name(): string {
    return safeLabel(this.channel.name, 32);
  }

  /** A log-safe label of the sender: never the message text. */
  private who(message: InboundMessage): string {
    const id = safeLabel(String(message.senderId), 64);
    return message.senderName ? `${id} (${safeLabel(message.senderName, 32)})` : id;
  }

  private async dispatch(message: InboundMessage): Promise<void> {
    const text = typeof message.text === 'string' ? message.text : '';
    // Approval answers are judged by the approvers list alone (approvers need not be chat peers).
    if (message.chatKind === 'dm' && (await this.options.approvals?.handleText(this.channel, { ...message, text }, (reply) => this.send(message.chatId, reply)))) return;
    const decision = decideAccess(
      this.options.access,
      { chatKind: message.chatKind, senderId: message.senderId, ...(message.senderAliases ? { senderAliases: message.senderAliases } : {}), mentioned: message.mentioned },
      this.options.pairing.approvedSenders(this.channel.name),
    );
    if (!decision.allow) {
      const line = `channel ${this.name}: refused ${message.chatKind} message from ${this.who(message)}: ${decision.reason} (${text.length} chars)`;
      if (decision.reason === 'not-mentioned') this.log.debug(line);
      else this.log.info(line);
      if (decision.pairing) await this.answerStranger(message);
      return;
    }

    const sessionKey = channelSessionKey(this.channel.name, message.chatKind, message.chatKind === 'dm' ? message.senderId : message.chatId);
    const command = COMMAND.exec(text.trim());
    if (command) return this.ownerCommand(message, command[1]!.toLowerCase() as 'status' | 'new' | 'stop', sessionKey);
    await this.startRun(message, text, sessionKey);
  }

  private async answerStranger(message: InboundMessage): Promise<void> {
    const outcome = await this.options.pairing.codeFor(this.channel.name, message.senderId, message.senderName);
    if (outcome.kind === 'full') {
      if (this.toldFull.has(message.senderId)) return;
      remember(this.toldFull, message.senderId);
      this.log.info(`channel ${this.name}: pairing is full; told ${this.who(message)} to try later`);
      await this.send(message.chatId, REPLIES.tryLater);
      return;
    }
    const told = `${message.senderId}\n${outcome.code}`;
    if (this.toldCodes.has(told)) return;
    remember(this.toldCodes, told);
    this.log.info(`channel ${this.name}: sent a pairing code to ${this.who(message)}; approve with: tether channels pairing approve <code>`);
    await this.send(message.chatId, pairingReply(outcome.code));
  }

  private async ownerCommand(message: InboundMessage, command: 'status' | 'new' | 'stop', sessionKey: string): Promise<void> {
    if (![message.senderId, ...(message.senderAliases ?? [])].some((id) => this.owners.has(id))) {
      this.log.info(`channel ${this.name}: refused /${command} from ${this.who(message)}: not an owner`);
      await this.send(message.chatId, REPLIES.ownerOnly);
      return;
    }
    this.log.info(`channel ${this.name}: /${command} from owner ${this.who(message)}`);
    switch (command) {
      case 'status':
        await this.send(message.chatId, safeLabel(this.options.statusText?.() ?? 'Tether gateway: running.', 1_000));
        return;
      case 'new':
        if (!this.options.resetSession) return this.send(message.chatId, REPLIES.newUnavailable);
        await this.options.resetSession(sessionKey);
        await this.send(message.chatId, REPLIES.newSession);
        return;
      case 'stop': {
        const aborted = this.options.agent.abort({ sessionKey });
        await this.send(message.chatId, aborted.length > 0 ? REPLIES.stopping : REPLIES.nothingRunning);
        return;
      }
    }
  }

  private async startRun(message: InboundMessage, text: string, sessionKey: string): Promise<void> {
    let images: InboundImage[] = [];
    if (message.fetchImages) {
      try {
        images = await message.fetchImages();
      } catch (error) {
        const why = error instanceof ChannelMediaError ? error.message : 'the chat app did not hand it over';
        this.log.warn(`channel ${this.name}: photo from ${this.who(message)} not taken: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
        await this.send(message.chatId, `Sorry, I could not take that photo (${safeLabel(why, 200)}).`);
        return;
      }
    }
    const said = text.length > MAX_INBOUND_CHARS ? `${text.slice(0, MAX_INBOUND_CHARS)}\n[message cut at ${MAX_INBOUND_CHARS} characters]` : text;
    const input = said.trim() === '' && images.length > 0 ? '(a photo, without a caption)' : said;
    const progress = new ToolProgress(this.setTimer, this.progressAfterMs, (line) => void this.send(message.chatId, line));
    let handle: AgentRunHandle;
    try {
      handle = this.options.agent.start(
        { sessionKey, message: input, runId: runIdFor(this.channel.name, message), ...(images.length > 0 ? { images } : {}) },
        (event) => progress.onEvent(event),
      );
    } catch (error) {
      progress.stop();
      if (error instanceof GatewayError && error.detailCode === 'AGENT_NOT_CONFIGURED') {
        this.log.warn(`channel ${this.name}: message from ${this.who(message)} not answered: the agent is not configured`);
        await this.send(message.chatId, REPLIES.notConfigured);
        return;
      }
      const code = error instanceof GatewayError ? error.detailCode : 'INTERNAL';
      this.log.warn(`channel ${this.name}: run for ${this.who(message)} refused: ${safeLabel(code, 64)}`);
      await this.send(message.chatId, errorReply(code));
      return;
    }
    this.log.info(`channel ${this.name}: run ${safeLabel(handle.runId, 64)} for ${this.who(message)} (${text.length} chars)`);
    const stopTyping = this.keepTyping(message.chatId);
    const follow = handle.done
      .then(
        (outcome) => {
          stopTyping();
          progress.stop();
          return this.deliver(message, outcome);
        },
        (error: unknown) => {
          stopTyping();
          progress.stop();
          this.log.warn(`channel ${this.name}: run failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
          return this.send(message.chatId, errorReply('INTERNAL'));
        },
      )
      .catch((error: unknown) => this.log.warn(`channel ${this.name}: reply failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`))
      .finally(() => this.inFlight.delete(follow));
    this.inFlight.add(follow);
  }

  /** sendTyping now and every typingIntervalMs until the returned stop is called. */
  private keepTyping(chatId: string): () => void {
    let stopped = false;
    let cancel: () => void = () => {};
    const tick = () => {
      if (stopped) return;
      this.channel.sendTyping(chatId).catch(() => undefined);
      cancel = this.setTimer(tick, this.typingIntervalMs);
    };
    tick();
    return () => {
      stopped = true;
      cancel();
    };
  }

  private async deliver(message: InboundMessage, outcome: AgentRunOutcome): Promise<void> {
    const chatId = message.chatId;
    this.log.info(`channel ${this.name}: run ${safeLabel(outcome.runId, 64)} ${outcome.status}${outcome.error ? ` (${safeLabel(outcome.error.code, 64)})` : ''}`);
    if (outcome.status === 'aborted') {
      await this.send(chatId, REPLIES.stopped);
    } else if (outcome.status === 'ok') {
      if (outcome.text.trim() !== '') for (const chunk of chunkText(outcome.text, this.channel.textLimit)) await this.send(chatId, chunk);
      else if (outcome.media.length === 0) await this.send(chatId, REPLIES.empty);
    } else {
      await this.send(chatId, errorReply(outcome.error?.code ?? (outcome.status === 'timeout' ? 'TIMEOUT' : 'ERROR')));
    }
    for (const media of outcome.media) {
      try {
        await this.channel.sendMedia(chatId, {
          path: media.path,
          mimeType: media.mimeType ?? 'application/octet-stream',
          caption: `${safeLabel(media.node, 64)}: ${safeLabel(media.command, 64)}`,
        });
      } catch (error) {
        this.log.warn(`channel ${this.name}: sending media failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
      }
    }
  }

  private async send(chatId: string, text: string): Promise<void> {
    try {
      await this.channel.sendText(chatId, text);
    } catch (error) {
      this.log.warn(`channel ${this.name}: sending a reply failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
    }
  }
}

/** One short line for each tool step still running after `afterMs` (e.g. "camera_snap on kitchen…"). */
class ToolProgress {
  private readonly pending = new Map<string, () => void>();
  private stopped = false;

  constructor(
    private readonly setTimer: SetTimer,
    private readonly afterMs: number,
    private readonly say: (line: string) => void,
  ) {}

  onEvent(event: AgentStreamEvent): void {
    if (this.stopped || event.stream !== 'tool') return;
    const data = event.data;
    const id = typeof data.toolCallId === 'string' ? data.toolCallId : String(data.name);
    if (data.phase === 'start') {
      this.pending.get(id)?.();
      const args = typeof data.args === 'object' && data.args !== null ? (data.args as Record<string, unknown>) : {};
      const node = typeof data.node === 'string' ? data.node : typeof args.node === 'string' ? args.node : undefined;
      const line = `${safeLabel(String(data.name ?? 'tool'), 48)}${node ? ` on ${safeLabel(node, 48)}` : ''}…`;
      this.pending.set(
        id,
        this.setTimer(() => {
          this.pending.delete(id);
          if (!this.stopped) this.say(line);
        }, this.afterMs),
      );
    } else if (data.phase === 'result') {
      this.pending.get(id)?.();
      this.pending.delete(id);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.pending.values()) cancel();
    this.pending.clear();
  }
}

/** The agent's idempotency key for a chat message: a redelivered message does not run twice. */
function runIdFor(channel: string, message: InboundMessage): string {
  return `chan-${createHash('sha256').update(`${channel}\n${message.chatId}\n${message.messageId}`).digest('hex').slice(0, 32)}`;
}

function remember(set: Set<string>, value: string): void {
  if (set.size >= MAX_REMEMBERED) set.delete(set.values().next().value as string);
  set.add(value);
}
