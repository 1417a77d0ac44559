import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DetailCode, ErrorCode, GatewayError } from '@tether/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRunHandle, AgentRunOutcome, AgentRunRequest, AgentService, AgentStreamEvent } from '../agent/service-types.js';
import type { Logger } from '../log.js';
import type { ChannelAccessConfig } from './access-policy.js';
import { ChannelMediaError, type Channel, type InboundMessage, type OutboundMedia } from './channel.js';
import { ChannelConversations, REPLIES, type SetTimer } from './conversation.js';
import { ChannelPairing, MAX_PENDING_PER_CHANNEL } from './pairing-codes.js';
import { channelSessionKey } from './session-keys.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-conv-'));
  dirs.push(dir);
  return dir;
};

type Sent = { kind: 'text'; chatId: string; text: string } | { kind: 'media'; chatId: string; media: OutboundMedia } | { kind: 'typing'; chatId: string };

class FakeChannel implements Channel {
  readonly name = 'telegram';
  readonly supportsButtons = false;
  sent: Sent[] = [];
  constructor(readonly textLimit = 4_000) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status() {
    return { state: 'connected' as const };
  }
  async sendText(chatId: string, text: string) {
    this.sent.push({ kind: 'text', chatId, text });
    return { messageId: String(this.sent.length) };
  }
  async directChatId(userId: string) {
    return userId;
  }
  async sendMedia(chatId: string, media: OutboundMedia) {
    this.sent.push({ kind: 'media', chatId, media });
  }
  async sendTyping(chatId: string) {
    this.sent.push({ kind: 'typing', chatId });
  }
  texts() {
    return this.sent.flatMap((s) => (s.kind === 'text' ? [s.text] : []));
  }
  count(kind: Sent['kind']) {
    return this.sent.filter((s) => s.kind === kind).length;
  }
}

/** A manual clock: timers fire only when the test advances it. */
class FakeTimers {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 0;
  setTimer: SetTimer = (fn, ms) => {
    const id = ++this.next;
    this.timers.push({ at: this.now + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  };
  advance(ms: number) {
    const end = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.now = due.at;
      due.fn();
    }
    this.now = end;
  }
  get pending() {
    return this.timers.length;
  }
}

interface ScriptedRun {
  request: AgentRunRequest;
  emit: (stream: AgentStreamEvent['stream'], data: Record<string, unknown>) => void;
  finish: (outcome: Partial<AgentRunOutcome>) => void;
}

class FakeAgent implements AgentService {
  runs: ScriptedRun[] = [];
  aborts: { sessionKey: string; runId?: string }[] = [];
  notConfigured = false;
  start(request: AgentRunRequest, listener?: (event: AgentStreamEvent) => void): AgentRunHandle {
    if (this.notConfigured) throw new GatewayError({ code: ErrorCode.UNAVAILABLE, message: 'no model at /secret/config.json', details: { code: DetailCode.AGENT_NOT_CONFIGURED } });
    const runId = request.runId ?? `run-${this.runs.length + 1}`;
    let resolve!: (o: AgentRunOutcome) => void;
    const done = new Promise<AgentRunOutcome>((r) => (resolve = r));
    let seq = 0;
    this.runs.push({
      request,
      emit: (stream, data) => listener?.({ runId, seq: ++seq, stream, ts: 0, sessionKey: request.sessionKey, data }),
      finish: (o) => resolve({ runId, sessionKey: request.sessionKey, status: 'ok', text: '', startedAt: 0, endedAt: 0, media: [], toolRounds: 0, ...o }),
    });
    return { runId, sessionKey: request.sessionKey, acceptedAt: 0, done, abort: () => {} };
  }
  subscribe() {
    return () => {};
  }
  async wait() {
    return undefined;
  }
  abort(target: { sessionKey: string; runId?: string }): string[] {
    this.aborts.push(target);
    return this.runs.filter((r) => r.request.sessionKey === target.sessionKey).map((r) => r.request.runId ?? '');
  }
  modelName() {
    return 'scripted';
  }
  async close() {}
}

function fakeLog() {
  const lines: string[] = [];
  const log: Logger = { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
  return { log, lines };
}

function setup(access: Partial<ChannelAccessConfig> = {}, extra: { textLimit?: number; owners?: string[]; statusText?: () => string; resetSession?: (key: string) => void } = {}) {
  const channel = new FakeChannel(extra.textLimit);
  const agent = new FakeAgent();
  const timers = new FakeTimers();
  const pairing = new ChannelPairing(stateDir(), () => timers.now);
  const { log, lines } = fakeLog();
  const conv = new ChannelConversations({
    channel,
    access: { dmPolicy: 'pairing', allowFrom: ['42'], groupAllowFrom: ['42'], ...access },
    pairing,
    agent,
    log,
    owners: extra.owners ?? ['42'],
    setTimer: timers.setTimer,
    ...(extra.statusText ? { statusText: extra.statusText } : {}),
    ...(extra.resetSession ? { resetSession: extra.resetSession } : {}),
  });
  return { channel, agent, timers, pairing, conv, lines };
}

let nextId = 0;
const dm = (senderId: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'telegram',
  chatId: `chat-${senderId}`,
  chatKind: 'dm',
  senderId,
  text,
  mentioned: false,
  messageId: String(++nextId),
  ...extra,
});

describe('ChannelConversations', () => {
  it('takes a photo only from an allowed sender: a stranger\'s is never fetched; a failed fetch is said, not run', async () => {
    const { channel, agent, conv } = setup();
    let fetched = 0;
    const fetchImages = async () => {
      fetched++;
      return [{ mimeType: 'image/jpeg' as const, base64: '/9j/' }];
    };
    await conv.handle(dm('666', '', { fetchImages }));
    expect(fetched).toBe(0);
    expect(agent.runs).toHaveLength(0);

    await conv.handle(dm('42', '', { fetchImages }));
    expect(fetched).toBe(1);
    expect(agent.runs[0]!.request).toMatchObject({ message: '(a photo, without a caption)', images: [{ mimeType: 'image/jpeg', base64: '/9j/' }] });

    await conv.handle(dm('42', 'what is this?', { fetchImages: async () => Promise.reject(new ChannelMediaError('it is not a JPEG, PNG or WebP image')) }));
    expect(agent.runs).toHaveLength(1);
    expect(channel.texts().at(-1)).toBe('Sorry, I could not take that photo (it is not a JPEG, PNG or WebP image).');
    await conv.handle(dm('42', 'and this?', { fetchImages: async () => Promise.reject(new Error('HTTP 500 at https://api.telegram.org/file/botSECRET/x')) }));
    expect(channel.texts().at(-1)).toBe('Sorry, I could not take that photo (the chat app did not hand it over).');
  });

  it('a stranger gets their pairing code with the owner command once, and never reaches the agent', async () => {
    const { channel, agent, conv, lines } = setup();
    await conv.handle(dm('666', 'hello'));
    await conv.handle(dm('666', 'hello again'));
    expect(agent.runs).toHaveLength(0);
    const texts = channel.texts();
    expect(texts).toHaveLength(1);
    const code = /pairing code is ([A-Z2-9]{8})/.exec(texts[0]!)![1]!;
    expect(texts[0]).toContain(`tether channels pairing approve ${code}`);
    expect(lines.filter((l) => l.includes('refused') && l.includes('not-allowed') && l.includes('666'))).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('hello');
  });

  it('when pairing is full a new stranger is told "try later" once', async () => {
    const { channel, conv } = setup();
    for (let i = 0; i < MAX_PENDING_PER_CHANNEL; i++) await conv.handle(dm(`s${i}`, 'hi'));
    channel.sent = [];
    await conv.handle(dm('flood', 'hi'));
    await conv.handle(dm('flood', 'hi'));
    expect(channel.texts()).toEqual([REPLIES.tryLater]);
  });

  it('an approved stranger then reaches the agent', async () => {
    const { agent, conv, pairing } = setup();
    await conv.handle(dm('7', 'hi'));
    await pairing.approve(pairing.list()[0]!.code);
    await conv.handle(dm('7', 'now?'));
    expect(agent.runs).toHaveLength(1);
  });

  it('an allowed sender: agent called on their session, typing while it runs, a long answer chunked in order, media sent', async () => {
    const { channel, agent, timers, conv } = setup({}, { textLimit: 1_000 });
    await conv.handle(dm('42', 'show me the kitchen'));
    expect(agent.runs).toHaveLength(1);
    const run = agent.runs[0]!;
    expect(run.request.sessionKey).toBe(channelSessionKey('telegram', 'dm', '42'));
    expect(run.request.message).toBe('show me the kitchen');
    expect(channel.count('typing')).toBe(1);
    timers.advance(4_000);
    timers.advance(4_000);
    expect(channel.count('typing')).toBe(3);

    const answer = Array.from({ length: 1_000 }, (_, i) => `w${String(i).padStart(4, '0')}.....`).join(' ').slice(0, 10_000);
    run.finish({ text: answer, media: [{ path: '/state/media/a.jpg', mimeType: 'image/jpeg', bytes: 10, node: 'kitchen', command: 'camera.snap' }] });
    await conv.idle();
    const texts = channel.texts();
    expect(texts.length).toBeGreaterThanOrEqual(10);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(1_000);
    expect(texts.join(' ').replace(/\s+/g, ' ')).toBe(answer.replace(/\s+/g, ' '));
    const media = channel.sent.filter((s) => s.kind === 'media');
    expect(media).toEqual([{ kind: 'media', chatId: 'chat-42', media: { path: '/state/media/a.jpg', mimeType: 'image/jpeg', caption: 'kitchen: camera.snap' } }]);
    expect(channel.sent.at(-1)!.kind).toBe('media');
    // typing stops with the run
    const typing = channel.count('typing');
    timers.advance(20_000);
    expect(channel.count('typing')).toBe(typing);
    expect(timers.pending).toBe(0);
  });

  it('a slow tool step gets one progress line; a quick one gets none', async () => {
    const { channel, agent, timers, conv } = setup();
    await conv.handle(dm('42', 'snap'));
    const run = agent.runs[0]!;
    run.emit('tool', { phase: 'start', name: 'camera_snap', toolCallId: 'c1', args: { node: 'kitchen' } });
    timers.advance(9_000);
    run.emit('tool', { phase: 'result', name: 'camera_snap', toolCallId: 'c1', node: 'kitchen', durationMs: 9_000 });
    run.emit('tool', { phase: 'start', name: 'camera_snap', toolCallId: 'c2', args: { node: 'kitchen' } });
    timers.advance(10_000);
    timers.advance(30_000);
    expect(channel.texts()).toEqual(['camera_snap on kitchen…']);
    run.finish({ text: 'done' });
    await conv.idle();
    expect(channel.texts()).toEqual(['camera_snap on kitchen…', 'done']);
  });

  it('in a group: no mention is ignored; a mention from an allowed sender runs on the group session', async () => {
    const { channel, agent, conv, lines } = setup();
    const group = { chatKind: 'group' as const, chatId: 'g1' };
    await conv.handle(dm('42', 'chatter', group));
    expect(agent.runs).toHaveLength(0);
    expect(channel.sent).toHaveLength(0);
    expect(lines.some((l) => l.includes('not-mentioned'))).toBe(true);
    await conv.handle(dm('666', '@bot hi', { ...group, mentioned: true }));
    expect(agent.runs).toHaveLength(0);
    expect(channel.sent).toHaveLength(0);
    await conv.handle(dm('42', '@bot hi', { ...group, mentioned: true }));
    expect(agent.runs[0]!.request.sessionKey).toBe(channelSessionKey('telegram', 'group', 'g1'));
  });

  it('owner /stop aborts the session; a non-owner /stop is refused; a stopped run says so', async () => {
    const { channel, agent, conv } = setup({ allowFrom: ['42', '43'] });
    await conv.handle(dm('42', 'long job'));
    await conv.handle(dm('43', '/stop'));
    expect(agent.aborts).toHaveLength(0);
    expect(channel.texts()).toEqual([REPLIES.ownerOnly]);
    await conv.handle(dm('42', '/stop'));
    expect(agent.aborts).toEqual([{ sessionKey: channelSessionKey('telegram', 'dm', '42') }]);
    agent.runs[0]!.finish({ status: 'aborted', text: 'partial' });
    await conv.idle();
    expect(channel.texts()).toEqual([REPLIES.ownerOnly, REPLIES.stopping, REPLIES.stopped]);
    expect(agent.runs).toHaveLength(1);
  });

  it('owner /status and /new use the injected hooks', async () => {
    const resets: string[] = [];
    const { channel, agent, conv } = setup({}, { statusText: () => '2 nodes: kitchen up, garage down', resetSession: (key) => void resets.push(key) });
    await conv.handle(dm('42', '/status'));
    await conv.handle(dm('42', ' /new@tether_bot '));
    expect(channel.texts()).toEqual(['2 nodes: kitchen up, garage down', REPLIES.newSession]);
    expect(resets).toEqual([channelSessionKey('telegram', 'dm', '42')]);
    expect(agent.runs).toHaveLength(0);
  });

  it('agent not configured → a reply, no throw, no path from the error', async () => {
    const { channel, agent, conv } = setup();
    agent.notConfigured = true;
    await expect(conv.handle(dm('42', 'hi'))).resolves.toBeUndefined();
    expect(channel.texts()).toEqual([REPLIES.notConfigured]);
    expect(channel.count('typing')).toBe(0);
  });

  it('an error outcome → a short apology with the code, no message, stack or token', async () => {
    const { channel, agent, conv, timers } = setup();
    await conv.handle(dm('42', 'hi'));
    agent.runs[0]!.finish({ status: 'error', text: '', error: { code: 'MODEL_ERROR', message: 'upstream 401: Bearer sk-secret at Object.<anonymous> (/src/x.ts:1)' } });
    await conv.idle();
    expect(channel.texts()).toEqual(['Sorry, that did not work (MODEL_ERROR).']);
    await conv.handle(dm('42', 'again'));
    agent.runs[1]!.finish({ status: 'error', text: '', error: { code: 'bad code\nwith sk-secret', message: 'x' } });
    await conv.idle();
    expect(channel.texts()[1]).toBe('Sorry, that did not work (ERROR).');
    expect(channel.texts().join('')).not.toContain('sk-secret');
    expect(timers.pending).toBe(0);
  });

  it('hostile text (control characters, 1 MB) does not crash and is not echoed in the logs', async () => {
    const { agent, conv, lines } = setup();
    const hostile = `\u001b[2J\u0000\u202e${'A'.repeat(1024 * 1024)}`;
    await conv.handle(dm('42', hostile, { senderName: '\u001b[31mEvil\u0007'.repeat(50) }));
    await conv.handle(dm('666', hostile));
    await conv.handle(dm('42', hostile, { chatKind: 'group', chatId: 'g\u0000:1' }));
    expect(agent.runs).toHaveLength(1);
    expect(agent.runs[0]!.request.message.length).toBeLessThan(40_000);
    for (const line of lines) {
      expect(line.length).toBeLessThan(500);
      expect(line).not.toMatch(/[\u0000-\u001f\u202e]/);
      expect(line).not.toContain('AAAAAAAAAA');
    }
    agent.runs[0]!.finish({ text: 'ok' });
    await conv.idle();
  });
});
