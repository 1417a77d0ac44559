/** A scripted node that redeems a setup code: a raw, signed connect with `auth.bootstrapToken`. */
import type { ConnectParams } from '@tether/protocol';
import { newTestKey, openRawPeer, signedConnect, type RawPeer, type TestKey } from './raw-client.js';

export interface Redeemed {
  peer: RawPeer;
  /** The connect's answer: `{ok:true, payload: hello-ok}` or `{ok:false, error}`. */
  response: Record<string, any>;
}

/**
 * Connects `key` (a fresh one by default) to `url` as a node declaring `commands`, presenting the
 * bootstrap token the way OpenClaw's node host does: the signature covers it (it is the only token).
 */
export async function redeemSetupToken(
  url: string,
  bootstrapToken: string,
  options: { key?: TestKey; commands?: string[]; role?: 'node' | 'operator'; displayName?: string; deviceToken?: string } = {},
): Promise<Redeemed> {
  const key = options.key ?? newTestKey();
  const peer = await openRawPeer(url);
  const frame = signedConnect(key, peer.challenge, {
    role: options.role ?? 'node',
    commands: options.commands ?? ['system.notify'],
    token: options.deviceToken ?? bootstrapToken,
    displayName: options.displayName ?? 'setup-node',
    ...(options.role === 'operator' && { scopes: ['operator.read'] }),
  }) as { params: ConnectParams };
  frame.params.auth = options.deviceToken ? { deviceToken: options.deviceToken } : { bootstrapToken };
  peer.send(frame);
  const response = await peer.nextFrame();
  return { peer, response };
}
