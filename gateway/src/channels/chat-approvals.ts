/**
 * Exec approvals answered from a chat app (issue 10). When a node asks for an approval, each approver
 * named for a channel (`channels.<name>.approvers`) gets a direct message with the exact argv, cwd,
 * program and node, and Approve once / Always / Deny buttons where the platform has them; everywhere
 * the reply commands `/approve CODE`, `/always CODE` and `/deny CODE` work too. Only an approver of
 * that channel may answer; the registry settles each approval exactly once, so a second press (or a
 * press after the CLI answered) is told "already answered" and changes nothing. When an approval
 * ends, by whoever, its messages are edited to say how (and lose their buttons).
 *
 * Everything shown is made inert (control and bidi characters escaped, argv shell-quoted); an argv
 * too long for one message is never shown cut with an Approve button under it: only Deny is offered
 * and the approver is sent to `tether approvals list`.
 */
import { formatArgv, safeLabel, type ExecApproval, type ExecApprovalDecision, type ExecApprovalResolvedEvent } from '@tether/protocol';
import type { Logger } from '../log.js';
import type { Channel, ChannelButton, InboundAction, InboundMessage } from './channel.js';

/** What the approvals registry offers (ExecApprovalRegistry satisfies it). */
export interface ApprovalSource {
  onRequested(listener: (approval: ExecApproval) => void): () => void;
  onResolved(listener: (event: ExecApprovalResolvedEvent) => void): () => void;
  get(id: string): ExecApproval | undefined;
  resolve(id: string, decision: ExecApprovalDecision): unknown;
}

interface Attached {
  channel: Channel;
  approvers: ReadonlySet<string>;
}

interface PostedApproval {
  id: string;
  messages: Posted[];
  /** Channels where the argv was too long to show whole: only Deny is accepted there. */
  cutIn: Set<Channel>;
  answeredBy?: string;
}

interface Posted {
  channel: Channel;
  chatId: string;
  messageId?: string;
  text: string;
}

const DECISION_BY_LETTER = { o: 'allow-once', a: 'allow-always', d: 'deny' } as const satisfies Record<string, ExecApprovalDecision>;
const DECISION_BY_COMMAND = { approve: 'allow-once', always: 'allow-always', deny: 'deny' } as const satisfies Record<string, ExecApprovalDecision>;
const BUTTON_DATA = /^xa:([0-9a-f]{8}):([oad])$/;
const REPLY_COMMAND = /^\/(approve|always|deny)(?:@[A-Za-z0-9_.-]{1,64})?\s+([0-9A-Fa-f]{8})\s*$/;
const LOOKS_LIKE_REPLY_COMMAND = /^\/(approve|always|deny)(?:@[A-Za-z0-9_.-]{1,64})?(?:\s|$)/i;

export const APPROVAL_REPLIES = {
  notApprover: 'Only the approvers named for this chat can answer exec approvals.',
  notFound: 'That approval was already answered, expired, or its node went away.',
  tooLong: 'That command line was too long to show here in full, so it cannot be approved from this chat: use `tether approvals list` and `tether approvals approve`.',
  badCommand: 'Use /approve CODE, /always CODE or /deny CODE with the 8-character code from the approval message.',
} as const;

function decisionLine(event: ExecApprovalResolvedEvent, by: string | undefined): string {
  if (event.reason === 'expired') return 'Denied: nobody answered in time.';
  if (event.reason === 'node-disconnected') return 'Cancelled: the node went away.';
  const what = event.decision === 'allow-once' ? 'Approved once' : event.decision === 'allow-always' ? 'Approved always' : 'Denied';
  return by ? `${what} by ${by}.` : `${what}.`;
}

export class ChatApprovals {
  private readonly attached: Attached[] = [];
  /** Pending approvals this class has posted, by their 8-character code. */
  private readonly posted = new Map<string, PostedApproval>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly source: ApprovalSource,
    private readonly log: Logger,
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
    const reply = await this.answer(channel, action, match[1]!, DECISION_BY_LETTER[match[2] as keyof typeof DECISION_BY_LETTER]);
    await action.acknowledge(reply);
    return true;
  }

  /** A reply command (`/approve CODE` …); false when the text is not one. Answers in the chat. */
  async handleText(channel: Channel, message: InboundMessage, send: (text: string) => Promise<void>): Promise<boolean> {
    const text = message.text.trim();
    if (!LOOKS_LIKE_REPLY_COMMAND.test(text)) return false;
    const match = REPLY_COMMAND.exec(text);
    if (!match) {
      await send(APPROVAL_REPLIES.badCommand);
      return true;
    }
    const command = match[1]!.toLowerCase() as keyof typeof DECISION_BY_COMMAND;
    await send(await this.answer(channel, message, match[2]!.toLowerCase(), DECISION_BY_COMMAND[command]));
    return true;
  }

  private async answer(channel: Channel, from: Pick<InboundAction, 'senderId' | 'senderAliases' | 'senderName'>, code: string, decision: ExecApprovalDecision): Promise<string> {
    const who = `${safeLabel(from.senderId, 64)}${from.senderName ? ` (${safeLabel(from.senderName, 32)})` : ''} on ${safeLabel(channel.name, 32)}`;
    const attached = this.attached.find((entry) => entry.channel === channel);
    const ids = [from.senderId, ...(from.senderAliases ?? [])];
    if (!attached || !ids.some((id) => attached.approvers.has(id))) {
      this.log.warn(`exec approval: refused an answer (${decision}) from ${who}: not an approver of this channel`);
      return APPROVAL_REPLIES.notApprover;
    }
    const posted = this.posted.get(code);
    if (!posted || !this.source.get(posted.id)) {
      this.log.info(`exec approval: answer ${decision} from ${who} for code ${safeLabel(code, 8)}: not pending`);
      return APPROVAL_REPLIES.notFound;
    }
    if (decision !== 'deny' && posted.cutIn.has(channel)) {
      this.log.info(`exec approval ${posted.id}: refused ${decision} from ${who}: the command line was too long to show in this chat`);
      return APPROVAL_REPLIES.tooLong;
    }
    try {
      // Marked first: resolve() tells settle() synchronously, which edits the messages with the name.
      posted.answeredBy = from.senderName ? safeLabel(from.senderName, 32) : safeLabel(from.senderId, 64);
      this.source.resolve(posted.id, decision);
    } catch {
      delete posted.answeredBy;
      return APPROVAL_REPLIES.notFound;
    }
    this.log.info(`exec approval ${posted.id}: ${decision} by approver ${who}`);
    return decision === 'deny' ? 'Denied.' : decision === 'allow-always' ? 'Approved always.' : 'Approved once.';
  }

  private async announce(approval: ExecApproval): Promise<void> {
    if (this.attached.length === 0) return;
    const code = approval.id.replace(/-/g, '').slice(0, 8).toLowerCase();
    const entry: PostedApproval = { id: approval.id, messages: [], cutIn: new Set() };
    this.posted.set(code, entry);
    for (const { channel, approvers } of this.attached) {
      const { text, buttons, cut } = approvalMessage(approval, code, channel);
      if (cut) entry.cutIn.add(channel);
      for (const approver of approvers) {
        try {
          const chatId = await channel.directChatId(approver);
          const sent = await channel.sendText(chatId, text, channel.supportsButtons ? { buttons } : undefined);
          entry.messages.push({ channel, chatId, text, ...(sent ? { messageId: sent.messageId } : {}) });
        } catch (error) {
          this.log.warn(`exec approval ${approval.id}: could not reach approver ${safeLabel(approver, 64)} on ${safeLabel(channel.name, 32)}: ${safeLabel(error instanceof Error ? error.message : String(error), 200)}`);
        }
      }
    }
    // Answered (or expired) while the messages were being sent: settle what was posted.
    if (!this.source.get(approval.id) && this.posted.get(code) === entry) await this.edit(entry, undefined);
  }

  private async settle(event: ExecApprovalResolvedEvent): Promise<void> {
    for (const [code, entry] of this.posted) {
      if (entry.id !== event.id) continue;
      this.posted.delete(code);
      await this.edit(entry, event);
    }
  }

  private async edit(entry: PostedApproval, event: ExecApprovalResolvedEvent | undefined): Promise<void> {
    const line = event ? decisionLine(event, event.reason === 'operator' ? (entry.answeredBy ?? 'an operator') : undefined) : 'Already answered.';
    for (const message of entry.messages) {
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
export function approvalMessage(approval: ExecApproval, code: string, channel: Pick<Channel, 'textLimit' | 'supportsButtons'>): { text: string; buttons: ChannelButton[]; cut: boolean } {
  const seconds = Math.max(0, Math.round((approval.expiresAtMs - Date.now()) / 1000));
  const node = safeLabel(approval.displayName, 64, approval.nodeId.slice(0, 12));
  const head = `Exec approval ${code.toUpperCase()}: node ${node} wants to run`;
  const tail = [`in ${safeLabel(approval.cwd, 512, '(its default folder)')}`, `program ${safeLabel(approval.resolvedPath, 512)}`, `expires in ${seconds} s`];
  const answer = channel.supportsButtons ? '' : `\nReply /approve ${code.toUpperCase()}, /always ${code.toUpperCase()} or /deny ${code.toUpperCase()}.`;
  const argv = formatArgv(approval.argv);
  const full = `${head}\n${argv}\n${tail.join('\n')}${answer}`;
  const buttons: ChannelButton[] = [
    { label: 'Approve once', data: `xa:${code}:o` },
    { label: 'Always', data: `xa:${code}:a` },
    { label: 'Deny', data: `xa:${code}:d` },
  ];
  if (full.length <= channel.textLimit) return { text: full, buttons, cut: false };
  // Too long to show whole: never an Approve under a cut command line.
  const denyOnly = channel.supportsButtons ? '' : `\nReply /deny ${code.toUpperCase()} to refuse.`;
  const note = `\n… (${argv.length} characters in all: too long to show here; read it whole with \`tether approvals list\` and approve there)\n${tail.join('\n')}${denyOnly}`;
  const room = Math.max(0, channel.textLimit - head.length - note.length - 2);
  return { text: `${head}\n${argv.slice(0, room)}${note}`, buttons: [buttons[2]!], cut: true };
}
