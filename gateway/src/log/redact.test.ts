import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecretsForTest, redact, redactStrict, registerSecret, registerSecretsIn } from './redact.js';

afterEach(forgetSecretsForTest);

describe('redact (every log line)', () => {
  const random = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5X2Q3';
  it.each([
    ['a Bearer value', 'Authorization: Bearer abc.def-123', 'abc.def-123'],
    ['a 43-character token with no digit', 'rotated abcDEFghiJKLmnoPQRstuVWXyzaBCDefgHIJklmNO_', 'abcDEFghiJKLmnoPQRstuVWXyzaBCDefgHIJklmNO_'],
    ['a password in a URL', 'connecting to wss://owner:hunter2hunter2@gw.lan:18789', 'hunter2hunter2'],
    ['a token= query parameter', 'GET /ws?token=hunter2secret&x=1', 'hunter2secret'],
    ['a JSON token field', '{"bootstrapToken":"s3cr3t-value"}', 's3cr3t-value'],
    ['a setup code with its prefix', 'run tether node run --pair oc-pair://eyJ1cmwiOiJ3czovL3gifQ', 'eyJ1cmwiOiJ3czovL3gifQ'],
    ['a bare setup code', 'code eyJ1cmwiOiJ3czovLzEyNy4wLjAuMSJ9 given', 'eyJ1cmwiOiJ3czovLzEyNy4wLjAuMSJ9'],
    ['a login code', '#code=v2.mabc12.mabc99.AAAAAAAAAAAAAAAAAAAAAA.rwpax.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'v2.mabc12'],
    ['a Telegram bot token in a URL', 'GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1/getMe', 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1'],
    ['a Slack token', 'slack said invalid_auth for xoxb-1234-5678-abcdefghij', 'xoxb-1234'],
    ['a random base64url token', `device token ${random} issued`, random],
  ])('removes %s', (_name, text, secret) => {
    const out = redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('keeps device ids, fingerprints, words and numbers', () => {
    const id = 'ab'.repeat(32);
    const text = `paired ${id} (node) code 1008, maxTokens=100, tokens: 3, AB:CD:EF fingerprint`;
    expect(redact(text)).toBe(text);
  });

  it('removes a registered value of any shape, and config secrets', () => {
    registerSecret('plain words pw');
    registerSecretsIn({ channels: { telegram: { botToken: 'tg-not-shaped-1' } }, agent: { apiKey: 'local-key-123' }, port: 1234 });
    expect(redact('pw is plain words pw, tg-not-shaped-1 and local-key-123')).toBe('pw is [redacted], [redacted] and [redacted]');
    expect(registerSecret('short')).toBe(false);
  });

  it('the strict form (status.recentErrors) also removes long hex runs', () => {
    expect(redactStrict(`hash ${'ab'.repeat(32)}`)).toBe('hash [redacted]');
  });
});
