import { createPrivateKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildConnectParams } from './connect-params.js';

// The reference's test vector (OpenClaw protocol §2.3): this client must produce that exact signature.
const seed = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const identity = {
  deviceId: '56475aa75463474c0285df5dbf2bcab73da651358839e9b77481b2eab107708c',
  publicKey: 'A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg',
  sign: (payload: string) => sign(null, Buffer.from(payload), privateKey).toString('base64url'),
};
const challenge = { nonce: '6f1c2d3e-0000-4000-8000-000000000001', ts: 1737264000000 };

describe('buildConnectParams', () => {
  it('signs the v3 payload over the challenge exactly as the reference vector', () => {
    const params = buildConnectParams(
      { url: 'ws://x', role: 'node', token: 'tok123', identity, client: { id: 'node-host', mode: 'node', version: 't', platform: 'Linux', deviceFamily: 'Linux' } },
      undefined,
      challenge,
    );
    expect(params.device).toEqual({
      id: identity.deviceId,
      publicKey: identity.publicKey,
      signature: 'mlH4B2qA5LeIBi3ly6py-P_s_Lgj7nak5-yF5fh72S_2hvV9XAB4VkCYN6VhxN8bwvkOcFiYsnuMxUvJPPnrCg',
      signedAt: challenge.ts,
      nonce: challenge.nonce,
    });
    expect(params).toMatchObject({ minProtocol: 3, maxProtocol: 4, role: 'node', scopes: [], caps: [], auth: { token: 'tok123' } });
  });

  it('sends a stored device token, and no auth or device block when it has neither', () => {
    const base = { url: 'ws://x', client: { id: 'cli', mode: 'cli', version: 't', platform: 'linux' } };
    expect(buildConnectParams(base, 'dev-tok', challenge).auth).toEqual({ deviceToken: 'dev-tok' });
    const bare = buildConnectParams(base, undefined, challenge);
    expect(bare.auth).toBeUndefined();
    expect(bare.device).toBeUndefined();
    expect(bare.role).toBe('operator');
  });
});
