/**
 * WhatsApp through the conversation layer: the real channel (fake Baileys socket underneath), the real
 * ChannelConversations, pairing codes and ChatApprovals, with a fake agent and a fake approvals registry.
 * A stranger gets a pairing code and no agent; once approved they get answers. Senders are matched by
 * phone number and LID both ways. An approver answers an exec approval with `/approve CODE` (WhatsApp
 * has no buttons); a non-approver's `/approve` changes nothing.
 *
 * A real WhatsApp server cannot run here (reference §2.4); the QR smoke test in
 * docs/channels-whatsapp.section.md covers the real thing by hand.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecApproval, ExecApprovalDecision, ExecApprovalResolvedEvent } from '@tether/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../gateway/src/channels/channel.js';
import { ChatApprovals, APPROVAL_REPLIES, type ApprovalSource } from '../gateway/src/channels/chat-approvals.js';
import { ChannelConversations } from '../gateway/src/channels/conversation.js';
import { ChannelPairing } from '../gateway/src/channels/pairing-codes.js';
import { createWhatsAppChannel } from '../gateway/src/channels/whatsapp/whatsapp-channel.js';
import { whatsappDefinition } from '../gateway/src/channels/whatsapp/whatsapp-definition.js';
import { AnsweringAgent, recordingLog } from './helpers/fake-whatsapp-agent.js';
import { dmMessage, fakeSocketFactory } from './helpers/fake-whatsapp.js';

const BOT = { id: '4915100000001@s.whatsapp.net', lid: '99000000000001@lid' };
const ALICE = { pn: '4915112345678@s.whatsapp.net', lid: '12345678901234@lid' };
const BOB = { pn: '4915122222222@s.whatsapp.net', lid: '22222222222222@lid' };
const OWNER = { pn: '4915177777777@s.whatsapp.net', lid: '77777777777777@lid' };
const MALLORY = { lid: '66666666666666@lid' };

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

class FakeApprovals implements ApprovalSource {
  private requested: ((approval: ExecApproval) => void)[] = [];
  private resolved: ((event: ExecApprovalResolvedEvent) => void)[] = [];
  pending = new Map<string, ExecApproval>();
  decisions: { id: string; decision: ExecApprovalDecision }[] = [];
  onRequested(listener: (approval: ExecApproval) => void) {
    this.requested.push(listener);
    return () => {};
  }
  onResolved(listener: (event: ExecApprovalResolvedEvent) => void) {
    this.resolved.push(listener);
    return () => {};
  }
  get(id: string) {
    return this.pending.get(id);
  }
  resolve(id: string, decision: ExecApprovalDecision) {
    const approval = this.pending.get(id);
    if (!approval) throw new Error('not pending');
    this.pending.delete(id);
    this.decisions.push({ id, decision });
    for (const listener of this.resolved) listener({ id, nodeId: approval.nodeId, decision, reason: 'operator', ts: 0 });
  }
  request(approval: ExecApproval) {
    this.pending.set(approval.id, approval);
    for (const listener of this.requested) listener(approval);
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error('condition never held');
}

async function gatewayWithWhatsApp(file: Record<string, unknown>) {
  const stateDir = mkdtempSync(join(tmpdir(), 'tether-wa-e2e-'));
  dirs.push(stateDir);
  const authDir = join(stateDir, 'channels', 'whatsapp', 'auth');
  mkdirSync(authDir, { recursive: true });
  writeFileSync(join(authDir, 'creds.json'), JSON.stringify({ me: { id: '4915100000001:7@s.whatsapp.net', lid: '99000000000001:7@lid' } }));

  const config = whatsappDefinition.resolve(whatsappDefinition.fileSchema.parse(file), {});
  const factory = fakeSocketFactory(BOT, { onSocket: (socket) => setImmediate(() => socket.open()) });
  const { log, lines } = recordingLog();
  const channel: Channel = createWhatsAppChannel({ authDir, log, makeSocket: factory.makeSocket });
  const agent = new AnsweringAgent();
  const pairing = new ChannelPairing(stateDir);
  const source = new FakeApprovals();
  const approvals = new ChatApprovals(source, log);
  approvals.attach(channel, config.approvers);
  const conversations = new ChannelConversations({ channel, access: config, pairing, agent, owners: config.owners, log, approvals });
  const handled: Promise<void>[] = [];
  await channel.start({
    onMessage: (message) => {
      const done = conversations.handle(message);
      handled.push(done);
      return done;
    },
    onAction: (action) => conversations.handleAction(action),
  });
  const socket = factory.last;
  /** Delivers a WAMessage and waits until the conversation layer has answered it. */
  const deliver = async (message: unknown) => {
    const before = handled.length;
    socket.upsert([message]);
    await until(() => handled.length > before);
    await Promise.all(handled);
    await conversations.idle();
  };
  return { channel, socket, agent, pairing, source, conversations, deliver, lines };
}

describe('WhatsApp end to end through the conversation layer', () => {
  it('a stranger gets a pairing code and no agent; approved, their next message is answered in the chat', async () => {
    const { socket, agent, pairing, deliver, lines } = await gatewayWithWhatsApp({ allowFrom: ['+4915112345678'] });
    await deliver(dmMessage({ jid: MALLORY.lid }, 'let me in', { pushName: 'Mallory' }));
    expect(agent.runs).toHaveLength(0);
    expect(socket.sent).toHaveLength(1);
    expect(socket.sent[0]!.jid).toBe(MALLORY.lid);
    const code = /pairing code is ([A-Z2-9]{8})/.exec(socket.texts()[0]!)![1]!;
    expect(pairing.list()).toEqual([expect.objectContaining({ code, channel: 'whatsapp', senderId: MALLORY.lid, senderName: 'Mallory' })]);
    expect(lines.join('\n')).not.toContain('let me in');

    await pairing.approve(code); // what `tether channels pairing approve <code>` does
    await deliver(dmMessage({ jid: MALLORY.lid }, 'hello now'));
    expect(agent.runs.map((r) => r.message)).toEqual(['hello now']);
    expect(socket.texts().at(-1)).toBe('you said: hello now');
    expect(socket.sent.at(-1)!.jid).toBe(MALLORY.lid);
    expect(socket.presence).toContainEqual({ type: 'composing', jid: MALLORY.lid });
  });

  it('a sender allowed by phone number is let in when the message arrives by LID with the phone number as alt', async () => {
    const { socket, agent, deliver } = await gatewayWithWhatsApp({ dmPolicy: 'allowlist', allowFrom: ['+4915112345678'] });
    await deliver(dmMessage({ jid: ALICE.lid, alt: ALICE.pn }, 'via lid'));
    expect(agent.runs.map((r) => r.message)).toEqual(['via lid']);
    expect(socket.sent.at(-1)).toEqual({ jid: ALICE.lid, content: { text: 'you said: via lid', linkPreview: null } });
    // Without the alt field the LID alone is a stranger (allowlist: dropped, no answer).
    await deliver(dmMessage({ jid: ALICE.lid }, 'lid only'));
    expect(agent.runs).toHaveLength(1);
  });

  it('and a sender allowed by LID is let in when the message arrives by phone number with the LID as alt', async () => {
    const { agent, deliver } = await gatewayWithWhatsApp({ dmPolicy: 'allowlist', allowFrom: [BOB.lid] });
    await deliver(dmMessage({ jid: BOB.pn, alt: BOB.lid }, 'via phone'));
    expect(agent.runs.map((r) => r.message)).toEqual(['via phone']);
  });

  it('an approver answers an exec approval with /approve CODE (no buttons); a non-approver cannot', async () => {
    const { socket, source, deliver } = await gatewayWithWhatsApp({ allowFrom: ['+4915112345678'], approvers: ['+4915177777777'] });
    source.request({
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      nodeId: 'node-1',
      displayName: 'kitchen-pi',
      command: 'system.run',
      argv: ['ls', '-la'],
      resolvedPath: '/usr/bin/ls',
      createdAtMs: Date.now(),
      expiresAtMs: Date.now() + 60_000,
    });
    await until(() => socket.sent.length === 1);
    const ask = socket.sent[0]!;
    expect(ask.jid).toBe(OWNER.pn);
    expect('text' in ask.content && ask.content.text).toContain('Reply /approve A1B2C3D4, /always A1B2C3D4 or /deny A1B2C3D4.');

    // Alice may talk to the agent but is no approver: her "/approve" is an ordinary message to the agent.
    await deliver(dmMessage({ jid: ALICE.pn }, '/approve A1B2C3D4'));
    await until(() => socket.texts().at(-1) === 'you said: /approve A1B2C3D4');
    expect(source.decisions).toEqual([]);

    // The approver's reply arrives by LID, with the phone number (which the config names) as alt.
    await deliver(dmMessage({ jid: OWNER.lid, alt: OWNER.pn }, '/approve a1b2c3d4', { pushName: 'Owner' }));
    expect(source.decisions).toEqual([{ id: 'a1b2c3d4-0000-4000-8000-000000000001', decision: 'allow-once' }]);
    await until(() => socket.texts().some((text) => /^Approved once by Owner \(.+\)\.$/.test(text)));
    expect(socket.texts()).toContain('Approved once.');

    // Answering again changes nothing.
    await deliver(dmMessage({ jid: OWNER.pn }, '/deny A1B2C3D4'));
    expect(socket.texts().at(-1)).toBe(APPROVAL_REPLIES.notFound);
    expect(source.decisions).toHaveLength(1);
  });
});
