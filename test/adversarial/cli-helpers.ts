/**
 * Hostile peers for the CLI's adversarial tests: a raw node that calls itself anything (a paired node
 * that answers invokes with whatever the test scripts is `answerInvokes` in test/helpers/clients.ts).
 */
import { buildDeviceAuthPayloadV3, hasUnsafeChars } from '@tether/protocol';
import { newTestKey, openRawPeer, type RawPeer, type TestKey } from '../helpers/raw-client.js';

export interface RawNode {
  peer: RawPeer;
  key: TestKey;
  /** The gateway's answer to the connect: hello-ok when held or paired, an error with a requestId when not. */
  answer: Record<string, any>;
}

/**
 * A node that connects once with a display name of its choosing. `held: true` leaves out the
 * tether-node user agent, so the gateway keeps the socket open while its pairing is pending.
 */
export async function connectRawNode(url: string, options: { displayName: string; commands?: string[]; held?: boolean; key?: TestKey }): Promise<RawNode> {
  const key = options.key ?? newTestKey();
  const peer = await openRawPeer(url);
  const client = { id: 'node-host', mode: 'node', version: 'test', platform: 'linux', deviceFamily: 'Linux', displayName: options.displayName };
  const signedAt = peer.challenge.ts;
  const payload = buildDeviceAuthPayloadV3({
    deviceId: key.deviceId,
    clientId: client.id,
    clientMode: client.mode,
    role: 'node',
    scopes: [],
    signedAtMs: signedAt,
    token: '',
    nonce: peer.challenge.nonce,
    platform: client.platform,
    deviceFamily: client.deviceFamily,
  });
  peer.send({
    type: 'req',
    id: '1:test',
    method: 'connect',
    params: {
      minProtocol: 3,
      maxProtocol: 4,
      client,
      role: 'node',
      scopes: [],
      caps: [],
      commands: options.commands ?? ['system.run'],
      device: { id: key.deviceId, publicKey: key.publicKey, signature: key.sign(payload), signedAt, nonce: peer.challenge.nonce },
      ...(options.held ? {} : { userAgent: 'tether-node/test' }),
    },
  });
  let answer = await peer.nextFrame();
  while (answer.type !== 'res') answer = await peer.nextFrame();
  return { peer, key, answer };
}

/** True when text that is meant for a terminal holds a control or bidi character other than line breaks. */
export function hasRawControls(text: string): boolean {
  return hasUnsafeChars(text.replace(/\n/g, ''));
}
