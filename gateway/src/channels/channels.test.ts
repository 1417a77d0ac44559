import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAccessConfig, decideAccess, type ChannelAccessConfig } from './access-policy.js';
import { CHANNEL_CODE_TTL_MS, ChannelPairing, MAX_PENDING_PER_CHANNEL } from './pairing-codes.js';
import { channelSessionKey } from './session-keys.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tether-channels-'));
  dirs.push(dir);
  return dir;
};
const config = (extra: Partial<ChannelAccessConfig> = {}): ChannelAccessConfig => ({ dmPolicy: 'pairing', allowFrom: [], groupAllowFrom: [], ...extra });
const dm = (senderId: string) => ({ chatKind: 'dm' as const, senderId, mentioned: false });

describe('channel access', () => {
  it('a stranger under pairing gets a code, never the agent; an allowed or approved sender gets through', () => {
    expect(decideAccess(config(), dm('666'), new Set())).toEqual({ allow: false, reason: 'not-allowed', pairing: true });
    expect(decideAccess(config({ allowFrom: ['42'] }), dm('42'), new Set())).toEqual({ allow: true });
    expect(decideAccess(config(), dm('7'), new Set(['7']))).toEqual({ allow: true });
  });

  it('allowlist drops strangers silently, disabled answers no one, open needs an explicit "*"', () => {
    expect(decideAccess(config({ dmPolicy: 'allowlist', allowFrom: ['42'] }), dm('666'), new Set(['666']))).toEqual({ allow: false, reason: 'not-allowed' });
    expect(decideAccess(config({ dmPolicy: 'disabled', allowFrom: ['42'] }), dm('42'), new Set())).toEqual({ allow: false, reason: 'dm-disabled' });
    expect(decideAccess(config({ dmPolicy: 'open', allowFrom: ['*'] }), dm('anyone'), new Set())).toEqual({ allow: true });
    expect(checkAccessConfig('telegram', config({ dmPolicy: 'open', allowFrom: ['42'] }))).toMatch(/"open" needs allowFrom: \["\*"\]/);
    expect(checkAccessConfig('telegram', config({ dmPolicy: 'allowlist' }))).toMatch(/empty allowFrom/);
    expect(checkAccessConfig('telegram', config())).toBeUndefined();
  });

  it('in groups only a mention from a group-allowed sender gets through; DM approval does not count there', () => {
    const groups = config({ groupAllowFrom: ['42'] });
    expect(decideAccess(groups, { chatKind: 'group', senderId: '42', mentioned: false }, new Set())).toEqual({ allow: false, reason: 'not-mentioned' });
    expect(decideAccess(groups, { chatKind: 'group', senderId: '42', mentioned: true }, new Set())).toEqual({ allow: true });
    expect(decideAccess(groups, { chatKind: 'group', senderId: '7', mentioned: true }, new Set(['7']))).toEqual({ allow: false, reason: 'group-sender-not-allowed' });
  });
});

describe('ChannelPairing', () => {
  it('gives a stranger one readable code, keeps it for repeats, at most 3 waiting per channel', async () => {
    const pairing = new ChannelPairing(stateDir());
    const first = await pairing.codeFor('telegram', '1', 'Mallory\u001b[2J'.repeat(20));
    expect(first.kind).toBe('new');
    if (first.kind === 'full') return;
    expect(first.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(await pairing.codeFor('telegram', '1')).toEqual({ kind: 'existing', code: first.code });
    for (let i = 2; i <= MAX_PENDING_PER_CHANNEL; i++) expect((await pairing.codeFor('telegram', String(i))).kind).toBe('new');
    expect(await pairing.codeFor('telegram', 'flood')).toEqual({ kind: 'full' });
    expect((await pairing.codeFor('slack', 'U1')).kind).toBe('new');
    expect(pairing.list().find((p) => p.senderId === '1')!.senderName!.length).toBeLessThanOrEqual(64);
  });

  it('approve admits exactly that sender on that channel, survives a restart, and refuses unknown or expired codes', async () => {
    let now = 1_000_000;
    const dir = stateDir();
    const pairing = new ChannelPairing(dir, () => now);
    const outcome = await pairing.codeFor('telegram', '99');
    if (outcome.kind === 'full') throw new Error('unexpected');
    expect(await pairing.approve('NOPE1234')).toBeUndefined();
    expect((await pairing.approve(outcome.code.toLowerCase()))?.senderId).toBe('99');
    expect(await pairing.approve(outcome.code)).toBeUndefined();
    const reopened = new ChannelPairing(dir, () => now);
    expect([...reopened.approvedSenders('telegram')]).toEqual(['99']);
    expect([...reopened.approvedSenders('slack')]).toEqual([]);
    expect(statSync(join(dir, 'channels', 'pairing.json')).mode & 0o077).toBe(0);

    const late = await reopened.codeFor('telegram', '100');
    now += CHANNEL_CODE_TTL_MS + 1;
    if (late.kind === 'full') throw new Error('unexpected');
    expect(await reopened.approve(late.code)).toBeUndefined();
  });

  it('a hostile channel or sender name in the state file cannot reach the prototype', async () => {
    const pairing = new ChannelPairing(stateDir());
    expect([...pairing.approvedSenders('__proto__')]).toEqual([]);
    expect([...pairing.approvedSenders('constructor')]).toEqual([]);
  });
});

describe('channelSessionKey', () => {
  it('keys each peer and group apart, hashing ids a session key cannot hold', () => {
    expect(channelSessionKey('telegram', 'dm', '123456')).toBe('agent:main:telegram:dm:123456');
    const jid = channelSessionKey('whatsapp', 'dm', '4915112345678@s.whatsapp.net:12');
    expect(jid).toMatch(/^agent:main:whatsapp:dm:h-[0-9a-f]{32}$/);
    expect(channelSessionKey('telegram', 'dm', 'a:b')).not.toBe(channelSessionKey('telegram', 'dm', 'a_b'));
    expect(channelSessionKey('slack', 'group', '../../etc')).toMatch(/^agent:main:slack:group:h-/);
  });
});
