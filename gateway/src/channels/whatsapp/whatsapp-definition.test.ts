import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ChannelsConfigError } from '../channel-definition.js';
import { normaliseWhatsAppId, userJid } from './whatsapp-ids.js';

let baileysLoaded = false;
vi.mock('baileys', () => {
  baileysLoaded = true;
  return {};
});

const here = dirname(fileURLToPath(import.meta.url));

describe('WhatsApp ids', () => {
  it('E.164 numbers, phone JIDs and LIDs become their bare JID', () => {
    expect(normaliseWhatsAppId('+4915112345678')).toBe('4915112345678@s.whatsapp.net');
    expect(normaliseWhatsAppId(' +49 (151) 1234-5678 ')).toBe('4915112345678@s.whatsapp.net');
    expect(normaliseWhatsAppId('whatsapp:+14155550123')).toBe('14155550123@s.whatsapp.net');
    expect(normaliseWhatsAppId('4915112345678@s.whatsapp.net')).toBe('4915112345678@s.whatsapp.net');
    expect(normaliseWhatsAppId('4915112345678:12@S.WhatsApp.Net')).toBe('4915112345678@s.whatsapp.net');
    expect(normaliseWhatsAppId('123456789012345@lid')).toBe('123456789012345@lid');
    expect(normaliseWhatsAppId('123456789012345:3@lid')).toBe('123456789012345@lid');
  });

  it('anything else is refused with what to write instead (a config error)', () => {
    const bad = ['4915112345678', '+0049151', '+12', '+1234567890123456', 'alice', '120363000000000001@g.us', 'status@broadcast', '12345@c.us', '+49\u202e151', '', '@lid', 'abc@lid'];
    for (const id of bad) expect(() => normaliseWhatsAppId(id), id).toThrow(ChannelsConfigError);
    expect(() => normaliseWhatsAppId('4915112345678')).toThrow(/leading "\+" and the country code/);
    expect(() => normaliseWhatsAppId('120363000000000001@g.us')).toThrow(/is a group/);
    expect(() => normaliseWhatsAppId('alice\u001b[2J')).toThrow(/"alice\?\[2J" is not a WhatsApp id/);
  });

  it('userJid accepts only user JIDs', () => {
    expect(userJid('4915112345678:7@s.whatsapp.net')).toBe('4915112345678@s.whatsapp.net');
    for (const value of [undefined, 7, {}, 'status@broadcast', '1203@g.us', `${'1'.repeat(80)}@lid`, '1@lid']) expect(userJid(value)).toBeUndefined();
  });
});

describe('channels.whatsapp config', () => {
  it('resolves ids in every access list, the auth folder and the socket URL', async () => {
    const { whatsappDefinition } = await import('./whatsapp-definition.js');
    const file = whatsappDefinition.fileSchema.parse({
      authDir: '~/wa-auth',
      wsUrl: 'ws://127.0.0.1:9/ws/chat',
      dmPolicy: 'allowlist',
      allowFrom: ['+4915112345678', '123456789012345@lid'],
      groupAllowFrom: ['4915112345678@s.whatsapp.net'],
      owners: ['+4915112345678'],
      approvers: ['123456789012345@lid'],
    });
    expect(whatsappDefinition.resolve(file, { HOME: '/home/alice' })).toEqual({
      dmPolicy: 'allowlist',
      allowFrom: ['4915112345678@s.whatsapp.net', '123456789012345@lid'],
      groupAllowFrom: ['4915112345678@s.whatsapp.net'],
      owners: ['4915112345678@s.whatsapp.net'],
      approvers: ['123456789012345@lid'],
      authDir: '/home/alice/wa-auth',
      wsUrl: 'ws://127.0.0.1:9/ws/chat',
    });
    expect(whatsappDefinition.resolve(whatsappDefinition.fileSchema.parse({}), {})).toEqual({ dmPolicy: 'pairing', allowFrom: [], groupAllowFrom: [], owners: [], approvers: [] });
  });

  it('refuses a bad id, a relative auth folder, an http socket URL and unknown keys', async () => {
    const { whatsappDefinition } = await import('./whatsapp-definition.js');
    expect(() => whatsappDefinition.resolve({ approvers: ['0151 1234'] }, {})).toThrow(/channels\.whatsapp: "0151 1234"/);
    expect(whatsappDefinition.fileSchema.safeParse({ authDir: 'relative/auth' }).success).toBe(false);
    expect(whatsappDefinition.fileSchema.safeParse({ wsUrl: 'http://127.0.0.1/ws' }).success).toBe(false);
    expect(whatsappDefinition.fileSchema.safeParse({ botToken: 'x' }).success).toBe(false);
  });

  it('the channel is made without loading Baileys (only connecting does), and the registry lists it', async () => {
    const { CHANNEL_DEFINITIONS } = await import('../registry.js');
    const definition = CHANNEL_DEFINITIONS.find((d) => d.name === 'whatsapp')!;
    const channel = await definition.create(definition.resolve({}, {}), { log: { debug() {}, info() {}, warn() {}, error() {} }, stateDir: '/nonexistent' });
    expect(channel.name).toBe('whatsapp');
    const { defaultWhatsAppAuthDir } = await import('./whatsapp-channel.js');
    expect(defaultWhatsAppAuthDir('/state')).toBe('/state/channels/whatsapp/auth');
    expect((definition.resolve({ authDir: '/srv/wa' }, {}) as { authDir?: string }).authDir).toBe('/srv/wa');
    expect(baileysLoaded).toBe(false);
    // And no module on the way statically imports it: only whatsapp-socket.ts has `import('baileys')`.
    for (const file of ['whatsapp-definition.ts', 'whatsapp-channel.ts', 'whatsapp-ids.ts', 'whatsapp-inbound.ts', 'whatsapp-login.ts', 'whatsapp-socket.ts']) {
      const source = readFileSync(join(here, file), 'utf8');
      expect(source, file).not.toMatch(/^import(?!\s+type)[^;]*from\s+'baileys'/m);
    }
  });
});
