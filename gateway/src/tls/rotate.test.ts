import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOfPem, followRotations, signRotation } from '@tether/protocol';
import { generateSelfSigned } from './certificate.js';

describe('following a certificate rotation', () => {
  it('follows a chain the pinned certificate signed, step by step, to what the gateway presents', async () => {
    const [a, b, c] = await Promise.all([generateSelfSigned(['localhost']), generateSelfSigned(['localhost']), generateSelfSigned(['localhost'])]);
    const statements = [signRotation(a.keyPem, a.certPem, b.certPem), signRotation(b.keyPem, b.certPem, c.certPem)];
    expect(followRotations(a.certPem, fingerprintOfPem(c.certPem), statements)).toEqual({ fingerprint: fingerprintOfPem(c.certPem), certPem: c.certPem });
    // In any order, and from a pin that is already one step along.
    expect(followRotations(b.certPem, fingerprintOfPem(c.certPem), [...statements].reverse())?.fingerprint).toBe(fingerprintOfPem(c.certPem));
  });

  it("refuses a statement not signed by the pinned certificate's key: an attacker's certificate cannot pass for a rotation", async () => {
    const [real, attacker] = await Promise.all([generateSelfSigned(['localhost']), generateSelfSigned(['localhost'])]);
    const forged = signRotation(attacker.keyPem, real.certPem, attacker.certPem); // claims to come from the real cert
    expect(followRotations(real.certPem, fingerprintOfPem(attacker.certPem), [forged])).toBeUndefined();
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(followRotations(real.certPem, fingerprintOfPem(attacker.certPem), [signRotation(stranger, real.certPem, attacker.certPem)])).toBeUndefined();
  });

  it('refuses a genuine signature over one certificate paired with another, and hostile shapes', async () => {
    const [a, b, evil] = await Promise.all([generateSelfSigned(['localhost']), generateSelfSigned(['localhost']), generateSelfSigned(['localhost'])]);
    const genuine = signRotation(a.keyPem, a.certPem, b.certPem);
    expect(followRotations(a.certPem, fingerprintOfPem(evil.certPem), [{ ...genuine, certPem: evil.certPem, to: fingerprintOfPem(evil.certPem) }])).toBeUndefined();
    expect(followRotations(a.certPem, fingerprintOfPem(b.certPem), [{ ...genuine, certPem: evil.certPem }])).toBeUndefined();
    for (const junk of [undefined, null, 'x', {}, [null], [{ ...genuine, version: 2 }], [{ ...genuine, signature: 'x'.repeat(5_000) }]]) {
      expect(followRotations(a.certPem, fingerprintOfPem(b.certPem), junk)).toBeUndefined();
    }
  });
});
