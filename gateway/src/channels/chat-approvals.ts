/**
 * Exec approvals answered from a chat app (issue 10). When a node asks for an approval, each approver
 * named for a channel (`channels.<name>.approvers`) gets a direct message with the exact argv, cwd,
 * program and node, and Approve once / Always / Deny buttons where the platform has them; everywhere
 * the reply commands `/approve CODE`, `/always CODE` and `/deny CODE` work too. Only an approver of
 * that channel may answer; the registry settles each approval exactly once, so a second press (or a
 * press after the CLI answered) is told "already answered" and changes nothing. When an approval
 * ends, by whoever, its messages are edited to say how (and lose their buttons).
 *
 * Everything shown is made inert (control, format and line-separator characters escaped, argv
 * shell-quoted); an argv, folder or program too long to show whole is never shown cut with an Approve
 * button under it: only Deny is offered and the approver is sent to `tether approvals list`. "Always"
 * says what it grants (the program with any arguments) and is not offered for shells and
 * interpreters. Buttons carry the whole approval id; typed codes are unique among pending approvals.
 * A node cannot flood phones: approvals with under 5 s left are not posted, and at most 10 a minute
 * per node are (then one line says the rest wait in `tether approvals list`).
 */
import { alwaysWouldAllowAnything, formatArgv, programName, safeLabel, shownWhole, type ExecApproval, type ExecApprovalDecision, type ExecApprovalResolvedEvent } from '@tether/protocol';
import type { Logger } from '../log.js';
import type { Channel, ChannelButton, InboundAction, InboundMessage } from './channel.js';

/** What the approvals registry offers (ExecApprovalRegistry satisfies it). */
export interface ApprovalSource {
  onRequested(listener: (approval: ExecApproval) => void): () => void;
  onResolved(listener: (event: ExecApprovalResolvedEvent) => void): () => void;
  get(id: string): ExecApproval | undefined;
  resolve(id: string, decision: ExecApprovalDecision, decidedBy?: string): unknown;
}

interface Attached {
  channel: Channel;
  approvers: ReadonlySet<string>;
}

interface PostedApproval {
  id: string;
  /** The typed code: the id's first 8 hex digits, longer when another pending approval has those. */
  code: string;
  messages: Posted[];
  /** Channels where a field was too long to show whole: only Deny is accepted there. */
  cutIn: Set<Channel>;
  /** A shell or interpreter: "always" would allow any program, so it is not accepted from chat. */
  noAlways: boolean;
  answeredBy?: string;
  /** Set when the approval ended; messages still being sent are edited as they go out. */
  settled?: ExecApprovalResolvedEvent;
}

interface Posted {
  channel: Channel;
  chatId: string;
  messageId?: string;
  text: string;
}

const DECISION_BY_LETTER = { o: 'allow-once', a: 'allow-always', d: 'deny' } as const satisfies Record<string, ExecApprovalDecision>;
const DECISION_BY_COMMAND = { approve: 'allow-once', always: 'allow-always', deny: 'deny' } as const satisfies Record<string, ExecApprovalDecision>;
/** Buttons carry the whole approval id (41 bytes, under Telegram's 64): a press can only ever mean that one. */
const BUTTON_DATA = /^xa:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([oad])$/;
const REPLY_COMMAND = /^\/(approve|always|deny)(?:@[A-Za-z0-9_.-]{1,64})?\s+([0-9a-f]{8,32})\s*$/i;
const LOOKS_LIKE_REPLY_COMMAND = /^\/(approve|always|deny)(?:@[A-Za-z0-9_.-]{1,64})?(?:\s|$)/i;
/** Programs for which "always" means "anything": no Always button, and no always from chat. */
/** An approval with less time left is not posted (a node asking with tiny TTLs would only flood phones). */
export const MIN_ANNOUNCE_TTL_MS = 5_000;
/** Approvals posted per node per minute; beyond, one line says so and the rest wait in `tether approvals list`. */
export const MAX_ANNOUNCED_PER_NODE_PER_MINUTE = 10;
/** Characters a chat app may read as markup; dropped from the names in decision lines. */
const MARKUP = /[`*_~|[\]()<>#]/g;
/** Longest cwd or program path shown; a longer one counts as cut. */
const MAX_PATH_SHOWN = 512;

export const APPROVAL_REPLIES = {
  notApprover: 'Only the approvers named for this chat can answer exec approvals.',
  notFound: 'That approval was already answered, expired, or its node went away.',
  tooLong: 'That command line was too long to show here in full, so it cannot be approved from this chat: use `tether approvals list` and `tether approvals approve`.',
  noAlways: 'Always is not accepted from chat for a shell or interpreter (it would allow any program): approve once, or use `tether approvals approve --always`.',
  badCommand: 'Use /approve CODE, /always CODE or /deny CODE with the code from the approval message.',
} as const;

function decisionLine(event: ExecApprovalResolvedEvent, by: string | undefined): string {
  if (event.reason === 'expired') return 'Denied: nobody answered in time.';
  if (event.reason === 'node-disconnected') return 'Cancelled: the node went away.';
  const what = event.decision === 'allow-once' ? 'Approved once' : event.decision === 'allow-always' ? 'Approved always' : 'Denied';
  return by ? `${what} by ${by}.` : `${what}.`;
}

export class ChatApprovals {
  private readonly attached: Attached[] = [];
  /** Pending approvals this class has posted, by id, and their typed codes. */
  private readonly pending = new Map<string, PostedApproval>();
  private readonly codes = new Map<string, string>();
  /** When each node's recent approvals were posted, and whether the flood line was sent this minute. */
  private readonly announced = new Map<string, { times: number[]; floodToldAtMs?: number }>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly source: ApprovalSource,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe.push(
      source.onRequested((approval) => void this.announce(approval)),
      source.onResolved((event) => void this.settle(event)),
    );
  }

  /** Posts approvals to this channel's approvers and accepts their answers. */
  attach(channel: Channel, approvers: readonly string[]): void {
    if (approvers.length > 0) this.attached.push({ channel, approvers: new Set(approvers) });
  }

  close(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  /** A button press; false when it is not an approval button (the caller may handle it). */
  async handleAction(channel: Channel, action: InboundAction): Promise<boolean> {
    const match = BUTTON_DATA.exec(action.data);
    if (!match) return false;
    const reply = await this.answer(channel, action, this.pending.get(match[1]!), DECISION_BY_LETTER[match[2] as keyof typeof DECISION_BY_LETTER]);
    await action.acknowledge(reply);
    return true;
  }

  /**
   * A reply command (`/approve CODE` …) from an approver; false when the text is not one or the sender
   * is not an approver (their message then goes through the access policy like any other).
   */
  async handleText(channel: Channel, message: InboundMessage, send: (text: string) => Promise<void>): Promise<boolean> {
    const text = message.text.trim();
    if (!LOOKS_LIKE_REPLY_COMMAND.test(text) || !this.isApprover(channel, message)) return false;
    const match = REPLY_COMMAND.exec(text);
    if (!match) {
      await send(APPROVAL_REPLIES.badCommand);
      return true;
    }
    const command = match[1]!.toLowerCase() as keyof typeof DECISION_BY_COMMAND;
    const id = this.codes.get(match[2]!.toLowerCase());
    await send(await this.answer(channel, message, id ? this.pending.get(id) : undefined, DECISION_BY_COMMAND[command]));
    return true;
  }

  private isApprover(channel: Channel, from: Pick<InboundAction, 'senderId' | 'senderAliases'>): boolean {
    const attached = this.attached.find((entry) => entry.channel === channel);
    return attached !== undefined && [from.senderId, ...(from.senderAliases ?? [])].some((id) => attached.approvers.has(id));
  }

  private async answer(channel: Channel, from: Pick<InboundAction, 'senderId' | 'senderAliases' | 'senderName'>, posted: PostedApproval | undefined, decision: ExecApprovalDecision): Promise<string> {
    const who = `${safeLabel(from.senderId, 64)}${from.senderName ? ` (${safeLabel(from.senderName, 32)})` : ''} on ${safeLabel(channel.name, 32)}`;
    if (!this.isApprover(channel, from)) {
      this.log.warn(`exec approval: refused an answer (${decision}) from ${who}: not an approver of this channel`);
      return APPROVAL_REPLIES.notApprover;
    }
    if (!posted || posted.settled || !this.source.get(posted.id)) {
      this.log.info(`exec approval: answer ${decision} from ${who}: not pending`);
      return APPROVAL_REPLIES.notFound;
    }
    if (decision !== 'deny' && posted.cutIn.has(channel)) {
      this.log.info(`exec approval ${posted.id}: refused ${decision} from ${who}: the command line was too long to show in this chat`);
      return APPROVAL_REPLIES.tooLong;
    }
    if (decision === 'allow-always' && posted.noAlways) {
      this.log.info(`exec approval ${posted.id}: refused allow-always from ${who}: a shell or interpreter`);
      return APPROVAL_REPLIES.noAlways;
    }
    try {
      // Marked first: resolve() tells settle() synchronously, which edits the messages with the name.
      // A display name is whatever its owner typed: the id is what says who it was.
      const name = from.senderName ? safeLabel(from.senderName, 32).replace(MARKUP, '') : '';
      posted.answeredBy = name ? `${name} (${safeLabel(from.senderId, 64).replace(MARKUP, '')})` : safeLabel(from.senderId, 64).replace(MARKUP, '');
      this.source.resolve(posted.id, decision, `${posted.answeredBy} on ${safeLabel(channel.name, 32)}`);
    } catch {
      delete posted.answeredBy;
      return APPROVAL_REPLIES.notFound;
    }
    this.log.info(`exec approval ${posted.id}: ${decision} by approver ${who}`);
    return decision === 'deny' ? 'Denied.' : decision === 'allow-always' ? 'Approved always.' : 'Approved once.';
  }

  /** The typed code: 8 hex digits of the id, more while another pending approval has the same. */
  private codeFor(id: string): string {
    const hex = id.replace(/-/g, '').toLowerCase();
    for (let length = 8; length < hex.length; length += 4) if (!this.codes.has(hex.slice(0, length))) return hex.slice(0, length);
    return hex;
  }

  /** False when this node has had its share of posts this minute (then one flood line is sent). */
  private async withinRate(approval: ExecApproval): Promise<boolean> {
    const now = this.now();
    const record = this.announced.get(approval.nodeId) ?? { times: [] };
    record.times = record.times.filter((at) => now - at < 60_000);
    this.announced.set(approval.nodeId, record);
    if (record.times.length < MAX_ANNOUNCED_PER_NODE_PER_MINUTE) {
      record.times.push(now);
      return true;
    }
    const node = safeLabel(approval.displayName, 64, approval.nodeId.slice(0, 12));
    this.log.warn(`exec approval ${approval.id}: not posted to chat: node ${node} asked for more than ${MAX_ANNOUNCED_PER_NODE_PER_MINUTE} approvals this minute`);
    if (record.floodToldAtMs !== undefined && now - record.floodToldAtMs < 60_000) return false;
    record.floodToldAtMs = now;
    await this.broadcast(`Node ${node} is asking for more exec approvals than ${MAX_ANNOUNCED_PER_NODE_PER_MINUTE} a minute; the rest are not posted here. Review them with \`tether approvals list\`.`);
    return false;
  }

  private async broadcast(text: string): Promise<void> {
    for (const { channel, approvers } of this.attached) {
      for (const approver of approvers) {
        try {
          await channel.sendText(await channel.directChatId(approver), text);
        } catch (error) {
          this.log.warn(`exec approval: could not reach approver ${safeLabel(approver, 64)} on ${safeLabel(channel.name, 32)}: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
        }
      }
    }
  }

  private async announce(approval: ExecApproval): Promise<void> {
    if (this.attached.length === 0) return;
    if (approval.expiresAtMs - this.now() < MIN_ANNOUNCE_TTL_MS) {
      this.log.info(`exec approval ${approval.id}: not posted to chat: it expires in under ${MIN_ANNOUNCE_TTL_MS / 1000} s`);
      return;
    }
    const code = this.codeFor(approval.id);
    const entry: PostedApproval = { id: approval.id, code, messages: [], cutIn: new Set(), noAlways: alwaysWouldAllowAnything(approval) };
    this.pending.set(approval.id, entry);
    this.codes.set(code, approval.id);
    if (!(await this.withinRate(approval))) {
      this.forget(entry);
      return;
    }
    for (const { channel, approvers } of this.attached) {
      const { text, buttons, cut } = approvalMessage(approval, code, channel, { noAlways: entry.noAlways });
      if (cut) entry.cutIn.add(channel);
      for (const approver of approvers) {
        if (entry.settled) return;
        try {
          const chatId = await channel.directChatId(approver);
          const sent = await channel.sendText(chatId, text, channel.supportsButtons ? { buttons } : undefined);
          const message: Posted = { channel, chatId, text, ...(sent ? { messageId: sent.messageId } : {}) };
          entry.messages.push(message);
          // Ended while this one was on its way: say so at once (and take its buttons away).
          if (entry.settled) await this.edit(entry, [message]);
        } catch (error) {
          this.log.warn(`exec approval ${approval.id}: could not reach approver ${safeLabel(approver, 64)} on ${safeLabel(channel.name, 32)}: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
        }
      }
    }
  }

  private forget(entry: PostedApproval): void {
    this.pending.delete(entry.id);
    if (this.codes.get(entry.code) === entry.id) this.codes.delete(entry.code);
  }

  private async settle(event: ExecApprovalResolvedEvent): Promise<void> {
    const entry = this.pending.get(event.id);
    if (!entry) return;
    entry.settled = event;
    this.forget(entry);
    await this.edit(entry, [...entry.messages]);
  }

  private async edit(entry: PostedApproval, messages: readonly Posted[]): Promise<void> {
    const event = entry.settled!;
    const line = decisionLine(event, event.reason === 'operator' ? (entry.answeredBy ?? 'an operator') : undefined);
    for (const message of messages) {
      try {
        if (message.messageId && message.channel.editText) await message.channel.editText(message.chatId, message.messageId, `${message.text}\n\n${line}`);
        else await message.channel.sendText(message.chatId, line);
      } catch (error) {
        this.log.debug(`exec approval: updating a chat message failed: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
      }
    }
  }
}

/** The approval as the approver reads it, within the channel's limit, and its buttons. */
export function approvalMessage(
  approval: ExecApproval,
  code: string,
  channel: Pick<Channel, 'textLimit' | 'supportsButtons' | 'rendersMarkdown'>,
  options: { noAlways?: boolean } = {},
): { text: string; buttons: ChannelButton[]; cut: boolean } {
  const seconds = Math.max(0, Math.round((approval.expiresAtMs - Date.now()) / 1000));
  const node = safeLabel(approval.displayName, 64, approval.nodeId.slice(0, 12));
  const shownCode = code.toUpperCase();
  const head = `Exec approval ${shownCode}: node ${node} wants to run`;
  const pathCut = !shownWhole(approval.cwd, MAX_PATH_SHOWN) || !shownWhole(approval.resolvedPath, MAX_PATH_SHOWN);
  const program = safeLabel(approval.resolvedPath, MAX_PATH_SHOWN);
  const always = options.noAlways
    ? 'Always is not offered: it would allow any program through this shell or interpreter.'
    : `Always = ${program} with any arguments on ${node}, from now on.`;
  const tail = [`in ${safeLabel(approval.cwd, MAX_PATH_SHOWN, '(its default folder)')}`, `program ${program}`, `expires in ${seconds} s`, always];
  const replyHint = channel.supportsButtons ? '' : `\nReply /approve ${shownCode}${options.noAlways ? '' : `, /always ${shownCode}`} or /deny ${shownCode}.`;
  const argv = formatArgv(approval.argv);
  const full = `${head}\n${argv}\n${tail.join('\n')}${replyHint}`;
  const deny: ChannelButton = { label: 'Deny', data: `xa:${approval.id}:d` };
  const buttons: ChannelButton[] = [
    { label: 'Approve once', data: `xa:${approval.id}:o` },
    ...(options.noAlways ? [] : [{ label: `Always allow ${safeLabel(programName(approval.resolvedPath), 24)}`, data: `xa:${approval.id}:a` }]),
    deny,
  ];
  // Where the platform reads markdown the whole message is one code block (read literally), which a
  // backtick in any field could end early: such an approval is treated as one that cannot be shown.
  const literal = (text: string) => (channel.rendersMarkdown ? `\`\`\`\n${text}\n\`\`\`` : text);
  const fenceBreak = channel.rendersMarkdown === true && [argv, approval.cwd ?? '', approval.resolvedPath, node].some((field) => field.includes('`'));
  if (full.length + 8 <= channel.textLimit && !pathCut && !fenceBreak) return { text: literal(full), buttons, cut: false };
  // Not shown whole: never an Approve under a cut command line, folder or program.
  const denyOnly = channel.supportsButtons ? '' : `\nReply /deny ${shownCode} to refuse.`;
  const why = fenceBreak ? 'it holds a backtick this chat app would read as formatting' : 'too long to show here in full';
  // Shown with its backticks as ' (marked as not the exact line), so nothing can close the code block.
  const tidy = (text: string) => (fenceBreak ? text.replace(/`/g, "'") : text);
  const note = `\n… (${why}; read it whole with \`tether approvals list\` and approve there)\n${tidy(tail.slice(0, 3).join('\n'))}${denyOnly}`;
  const room = Math.max(0, channel.textLimit - head.length - note.length - 10);
  return { text: literal(`${tidy(head)}\n${tidy(argv).slice(0, room)}${note}`), buttons: [deny], cut: true };
}

