import { afterEach, describe, expect, it } from 'vitest';
import type { ExecApprovalRequestResult } from '@tether/protocol';
import { ExecApprovalRegistry } from '../exec-approvals/registry.js';
import type { Logger } from '../log.js';
import type { Channel, ChannelButton, InboundAction, InboundMessage, OutboundMedia } from './channel.js';
import { APPROVAL_REPLIES, ChatApprovals } from './chat-approvals.js';

interface Posted {
  chatId: string;
  text: string;
  buttons: readonly ChannelButton[];
  messageId: string;
  edits: string[];
}

class RecordingChannel implements Channel {
  readonly name: string;
  posted: Posted[] = [];
  plain: { chatId: string; text: string }[] = [];
  constructor(
    readonly supportsButtons: boolean,
    readonly textLimit = 4_000,
    name = 'telegram',
  ) {
    this.name = name;
  }
  async start() {}
  async stop() {}
  status() {
    return { state: 'connected' as const };
  }
  async sendText(chatId: string, text: string, options?: { buttons?: readonly ChannelButton[] }) {
    if (text.length > this.textLimit) throw new RangeError('too long');
    if (options?.buttons || text.startsWith('Exec approval')) {
      const messageId = String(this.posted.length + 1);
      this.posted.push({ chatId, text, buttons: options?.buttons ?? [], messageId, edits: [] });
      return { messageId };
    }
    this.plain.push({ chatId, text });
    return { messageId: `p${this.plain.length}` };
  }
  async editText(chatId: string, messageId: string, text: string) {
    this.posted.find((p) => p.chatId === chatId && p.messageId === messageId)?.edits.push(text);
  }
  async sendMedia(_chatId: string, _media: OutboundMedia) {}
  async sendTyping() {}
  async directChatId(userId: string) {
    return `dm-${userId}`;
  }
}

const open = { isOpen: true };
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const flush = () => new Promise((resolve) => setImmediate(resolve));

let registries: ExecApprovalRegistry[] = [];
afterEach(() => {
  registries.forEach((r) => r.close());
  registries = [];
});

function setup(options: { buttons?: boolean; textLimit?: number; approvers?: string[] } = {}) {
  const registry = new ExecApprovalRegistry();
  registries.push(registry);
  const lines: string[] = [];
  const log: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  const approvals = new ChatApprovals(registry, log);
  const channel = new RecordingChannel(options.buttons ?? true, options.textLimit);
  approvals.attach(channel, options.approvers ?? ['42']);
  const ask = (argv: string[] = ['touch', '/tmp/x'], cwd = '/home/pi') =>
    registry.request({ nodeId: 'n'.repeat(64), displayName: 'kitchen-pi', owner: open, params: { command: 'system.run', argv, cwd, resolvedPath: '/usr/bin/touch', timeoutMs: 60_000 } });
  const press = (data: string, senderId = '42') => {
    const acks: string[] = [];
    const action: InboundAction = { channel: channel.name, chatId: `dm-${senderId}`, senderId, data, acknowledge: async (text) => void acks.push(text) };
    return approvals.handleAction(channel, action).then((handled) => ({ handled, acks }));
  };
  const reply = async (text: string, senderId = '42') => {
    const said: string[] = [];
    const message: InboundMessage = { channel: channel.name, chatId: `dm-${senderId}`, chatKind: 'dm', senderId, text, mentioned: false, messageId: '1' };
    const handled = await approvals.handleText(channel, message, async (line) => void said.push(line));
    return { handled, said };
  };
  return { registry, approvals, channel, ask, press, reply, lines };
}

describe('ChatApprovals', () => {
  it('sends each approver the exact argv, cwd, program and node with three buttons', async () => {
    const t = setup({ approvers: ['42', '43'] });
    t.ask(['touch', '/tmp/a b']);
    await flush();
    expect(t.channel.posted.map((p) => p.chatId)).toEqual(['dm-42', 'dm-43']);
    const [first] = t.channel.posted;
    expect(first!.text).toContain("node kitchen-pi wants to run\ntouch '/tmp/a b'\nin /home/pi\nprogram /usr/bin/touch");
    expect(first!.buttons.map((b) => b.label)).toEqual(['Approve once', 'Always', 'Deny']);
    for (const button of first!.buttons) expect(Buffer.byteLength(button.data)).toBeLessThanOrEqual(64);
  });

  it('runs the decision exactly once: a second press, and a press on another approver\'s copy, change nothing', async () => {
    const t = setup({ approvers: ['42', '43'] });
    const { decision } = t.ask();
    await flush();
    const approve = t.channel.posted[0]!.buttons[0]!.data;
    const deny = t.channel.posted[1]!.buttons[2]!.data;
    expect(await t.press(approve)).toEqual({ handled: true, acks: ['Approved once.'] });
    await expect(decision).resolves.toMatchObject({ decision: 'allow-once', reason: 'operator' } satisfies Partial<ExecApprovalRequestResult>);
    expect((await t.press(approve)).acks).toEqual([APPROVAL_REPLIES.notFound]);
    expect((await t.press(deny, '43')).acks).toEqual([APPROVAL_REPLIES.notFound]);
    await flush();
    // Both copies now say who answered, and have lost their buttons (editText).
    expect(t.channel.posted.map((p) => p.edits.at(-1)?.split('\n').at(-1))).toEqual(['Approved once by 42.', 'Approved once by 42.']);
  });

  it('refuses a press from someone who is not an approver, whatever data they send, and logs it', async () => {
    const t = setup();
    const { approval } = t.ask();
    await flush();
    const data = t.channel.posted[0]!.buttons[0]!.data;
    expect((await t.press(data, '666')).acks).toEqual([APPROVAL_REPLIES.notApprover]);
    expect((await t.reply(`/approve ${data.slice(3, 11)}`, '666')).said).toEqual([APPROVAL_REPLIES.notApprover]);
    expect(t.registry.get(approval.id)).toBeDefined();
    expect(t.lines.some((l) => l.includes('refused an answer (allow-once) from 666') && l.includes('not an approver'))).toBe(true);
  });

  it('ignores button data that is not an approval, and forged codes find nothing', async () => {
    const t = setup();
    const { approval } = t.ask();
    await flush();
    expect((await t.press('hello')).handled).toBe(false);
    expect((await t.press('xa:deadbeef:o')).acks).toEqual([APPROVAL_REPLIES.notFound]);
    expect((await t.press(`xa:${'0'.repeat(8)}:x`)).handled).toBe(false);
    expect(t.registry.get(approval.id)).toBeDefined();
  });

  it('answers by reply command where the platform has no buttons, and says how when the command is malformed', async () => {
    const t = setup({ buttons: false });
    const { decision } = t.ask();
    await flush();
    const text = t.channel.posted[0]!.text;
    const code = /\/always ([0-9A-F]{8})/.exec(text)?.[1];
    expect(code).toBeDefined();
    expect(t.channel.posted[0]!.buttons).toEqual([]);
    expect(await t.reply('/approve')).toEqual({ handled: true, said: [APPROVAL_REPLIES.badCommand] });
    expect(await t.reply('hello there')).toEqual({ handled: false, said: [] });
    expect((await t.reply(`/always ${code!.toLowerCase()}`)).said).toEqual(['Approved always.']);
    await expect(decision).resolves.toMatchObject({ decision: 'allow-always' });
  });

  it('shows control characters and shell tricks inert, never hidden', async () => {
    const t = setup();
    t.ask(['sh', '-c', 'echo ok\u001b[2K\rrm -rf ~ \u202e'], '/tmp/\u0007x');
    await flush();
    const text = t.channel.posted[0]!.text;
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(text).toContain('\\x1b');
    expect(text).toContain('rm -rf');
  });

  it('an argv too long for one message is only deniable from chat', async () => {
    const t = setup({ textLimit: 500 });
    const { approval, decision } = t.ask(['echo', 'A'.repeat(2_000), 'and-then-something-hidden']);
    await flush();
    const posted = t.channel.posted[0]!;
    expect(posted.text.length).toBeLessThanOrEqual(500);
    expect(posted.text).toContain('too long to show here');
    expect(posted.buttons.map((b) => b.label)).toEqual(['Deny']);
    // Even a hand-made approve for the same code is refused.
    const code = posted.buttons[0]!.data.slice(3, 11);
    expect((await t.press(`xa:${code}:o`)).acks).toEqual([APPROVAL_REPLIES.tooLong]);
    expect(t.registry.get(approval.id)).toBeDefined();
    expect((await t.press(`xa:${code}:d`)).acks).toEqual(['Denied.']);
    await expect(decision).resolves.toMatchObject({ decision: 'deny' });
  });

  it('edits the messages when the CLI answers, or the approval expires', async () => {
    const t = setup();
    const first = t.ask();
    const second = t.ask();
    await flush();
    t.registry.resolve(first.approval.id, 'deny');
    await flush();
    expect(t.channel.posted[0]!.edits.at(-1)).toMatch(/Denied by an operator\.$/);
    t.registry.close();
    await second.decision;
    await flush();
    expect(t.channel.posted[1]!.edits.at(-1)).toMatch(/Cancelled: the node went away\.$/);
  });

  it('posts nothing when no channel has approvers', async () => {
    const registry = new ExecApprovalRegistry();
    registries.push(registry);
    const approvals = new ChatApprovals(registry, quiet);
    const channel = new RecordingChannel(true);
    approvals.attach(channel, []);
    registry.request({ nodeId: 'n', owner: open, params: { command: 'system.run', argv: ['true'], resolvedPath: '/usr/bin/true', timeoutMs: 1000 } });
    await flush();
    expect(channel.posted).toEqual([]);
  });
});
