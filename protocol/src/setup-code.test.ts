import { describe, expect, it } from 'vitest';
import { decodeSetupCode, encodeSetupCode, isCleartextAllowedHost, MAX_SETUP_CODE_CHARS, normalizeTlsFingerprint, SetupCodeError, setupCodeUri } from './setup-code.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const FP = 'ab'.repeat(32);
const NOW = 1_800_000_000_000;

function refusal(input: string, now = NOW): string {
  try {
    decodeSetupCode(input, { now });
  } catch (error) {
    expect(error).toBeInstanceOf(SetupCodeError);
    return (error as SetupCodeError).code;
  }
  throw new Error('decoded');
}

describe('setup code: OpenClaw format', () => {
  it('known answer (setup-code.test.ts upstream)', () => {
    const code = encodeSetupCode({ url: 'wss://gateway.example.com:443', bootstrapToken: 'abc' });
    // The URL is kept as given when it normalises to itself... except the default port: OpenClaw keeps it.
    expect(code).toBe('eyJ1cmwiOiJ3c3M6Ly9nYXRld2F5LmV4YW1wbGUuY29tOjQ0MyIsImJvb3RzdHJhcFRva2VuIjoiYWJjIn0');
    expect(decodeSetupCode(code, { now: NOW })).toEqual({ url: 'wss://gateway.example.com:443', urls: [], bootstrapToken: 'abc', shape: 'bootstrap' });
  });

  it('round-trips every field, with the prefix in any case and whitespace around it', () => {
    const code = encodeSetupCode({ url: 'wss://10.0.0.5:18789', urls: ['wss://gw.tail.ts.net'], bootstrapToken: 'tok_123', expiresAtMs: NOW + 600_000, tlsFingerprint: FP.toUpperCase() });
    for (const input of [code, setupCodeUri(code), `  OC-PAIR://${code}\n`, JSON.stringify({ setupCode: setupCodeUri(code) })]) {
      expect(decodeSetupCode(input, { now: NOW })).toEqual({
        url: 'wss://10.0.0.5:18789',
        urls: ['wss://gw.tail.ts.net'],
        bootstrapToken: 'tok_123',
        expiresAtMs: NOW + 600_000,
        tlsFingerprint: FP,
        shape: 'bootstrap',
      });
    }
  });

  it('reads every older payload shape, and ignores unknown keys', () => {
    expect(decodeSetupCode(b64({ url: 'ws://192.168.1.2:18789', token: 'shared-secret' }), { now: NOW })).toMatchObject({ token: 'shared-secret', shape: 'shared-secret' });
    expect(decodeSetupCode(b64({ url: 'ws://192.168.1.2:18789', password: 'pw' }), { now: NOW })).toMatchObject({ password: 'pw', shape: 'shared-secret' });
    expect(decodeSetupCode(b64({ url: 'ws://127.0.0.1:1', bootstrapToken: 't', urls: ['ws://127.0.0.1:2'] }), { now: NOW }).urls).toEqual(['ws://127.0.0.1:2']);
    expect(decodeSetupCode(b64({ url: 'wss://h', bootstrapToken: 't', future: { x: 1 }, role: 'admin' }), { now: NOW })).toEqual({ url: 'wss://h', urls: [], bootstrapToken: 't', shape: 'bootstrap' });
  });

  it('normalises fingerprints', () => {
    expect(normalizeTlsFingerprint(`SHA256:${FP.match(/../g)!.join(':').toUpperCase()}`)).toBe(FP);
  });
});

describe('setup code: hostile input', () => {
  it('refuses an expired code with the upstream message', () => {
    const code = encodeSetupCode({ url: 'wss://h', bootstrapToken: 't', expiresAtMs: NOW - 1 });
    expect(refusal(code)).toBe('SETUP_CODE_EXPIRED');
    expect(() => decodeSetupCode(code, { now: NOW })).toThrow(/^Pairing setup code has expired\./);
    expect(refusal(encodeSetupCode({ url: 'wss://h', bootstrapToken: 't', expiresAtMs: NOW }))).toBe('SETUP_CODE_EXPIRED');
  });

  it('refuses a huge code before scanning it', () => {
    expect(refusal('A'.repeat(MAX_SETUP_CODE_CHARS + 1))).toBe('SETUP_CODE_TOO_LARGE');
    expect(refusal(`oc-pair://${'A'.repeat(10_000_000)}`)).toBe('SETUP_CODE_TOO_LARGE');
  });

  it('refuses a bad charset (padding, standard base64, spaces, non-ASCII)', () => {
    const good = encodeSetupCode({ url: 'wss://h', bootstrapToken: 't' });
    for (const bad of [`${good}=`, `${good.slice(0, 10)}+/${good.slice(12)}`, `${good.slice(0, 10)} ${good.slice(10)}`, `${good}é`, 'oc-pair://', '']) {
      expect(['SETUP_CODE_BAD_CHARSET', 'SETUP_CODE_EMPTY']).toContain(refusal(bad));
    }
    expect(refusal('A')).toBe('SETUP_CODE_BAD_CHARSET'); // a length no base64 text has
  });

  it('refuses bad JSON and non-object payloads', () => {
    for (const payload of ['{"url":', 'null', '[1,2]', '"a string"', '42']) expect(refusal(b64(payload))).toBe('SETUP_CODE_BAD_JSON');
    expect(refusal(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url'))).toBe('SETUP_CODE_BAD_JSON');
    expect(refusal('{"setupCode": 5}')).toBe('SETUP_CODE_BAD_JSON');
  });

  it('refuses URLs with userinfo, other schemes, queries, fragments, and cleartext to public hosts', () => {
    for (const url of ['http://user:pw@gw.example.com', 'ws://user:pw@127.0.0.1:1', 'wss://user@gw.example.com', 'http://gw.example.com', 'https://gw.example.com', 'file:///etc/passwd', 'wss://gw.example.com/?a=1', 'wss://gw.example.com/#x', 'wss://', 'not a url', '']) {
      expect(refusal(b64({ url, bootstrapToken: 't' })), url).toBe('SETUP_CODE_BAD_URL');
    }
    expect(refusal(b64({ url: 5, bootstrapToken: 't' }))).toBe('SETUP_CODE_BAD_URL');
    expect(refusal(b64({ url: 'ws://gw.example.com:18789', bootstrapToken: 't' }))).toBe('SETUP_CODE_INSECURE_URL');
    expect(refusal(b64({ url: 'ws://8.8.8.8', bootstrapToken: 't' }))).toBe('SETUP_CODE_INSECURE_URL');
    expect(refusal(b64({ url: 'wss://h', urls: [], bootstrapToken: 't' }))).toBe('SETUP_CODE_BAD_URL');
    expect(refusal(b64({ url: 'wss://h', urls: Array.from({ length: 9 }, (_, i) => `wss://h${i}`), bootstrapToken: 't' }))).toBe('SETUP_CODE_BAD_URL');
    expect(refusal(b64({ url: 'wss://h', urls: ['http://x@y'], bootstrapToken: 't' }))).toBe('SETUP_CODE_BAD_URL');
  });

  it('refuses bad fingerprints, expiries and credentials', () => {
    for (const tlsFingerprint of ['abc', 'zz'.repeat(32), FP + '00', 42, '']) expect(refusal(b64({ url: 'wss://h', bootstrapToken: 't', tlsFingerprint }))).toBe('SETUP_CODE_BAD_FINGERPRINT');
    for (const expiresAtMs of [-1, 1.5, '1800000000000', 2 ** 60]) expect(refusal(b64({ url: 'wss://h', bootstrapToken: 't', expiresAtMs }))).toBe('SETUP_CODE_BAD_EXPIRY');
    expect(refusal(b64({ url: 'wss://h' }))).toBe('SETUP_CODE_NO_CREDENTIAL');
    expect(refusal(b64({ url: 'wss://h', bootstrapToken: 7 }))).toBe('SETUP_CODE_NO_CREDENTIAL');
    expect(refusal(b64({ url: 'wss://h', bootstrapToken: 'a b' }))).toBe('SETUP_CODE_NO_CREDENTIAL');
    expect(refusal(b64({ url: 'wss://h', bootstrapToken: 'x'.repeat(1025) }))).toBe('SETUP_CODE_NO_CREDENTIAL');
  });

  it('allows cleartext only to local-network hosts', () => {
    for (const host of ['localhost', '127.0.0.1', '10.0.2.2', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.1.1', '[::1]', '[fd00::1]', '[fe80::1]', 'pi.local']) expect(isCleartextAllowedHost(host), host).toBe(true);
    for (const host of ['8.8.8.8', '172.32.0.1', '100.64.0.1', 'gw.example.com', '[2001:db8::1]', 'local']) expect(isCleartextAllowedHost(host), host).toBe(false);
  });
});
