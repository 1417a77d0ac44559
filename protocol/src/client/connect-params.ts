/**
 * The `connect` request a client sends in answer to a challenge: its identity, what it asks for,
 * its credentials and, with a device key, the v3 signature over the challenge (signedAt = the
 * challenge's ts, as current OpenClaw clients do, so clock skew does not matter).
 */
import type { ConnectChallenge, ConnectParams } from '../connect.js';
import { SUPPORTED_PROTOCOLS } from '../constants.js';
import { buildDeviceAuthPayloadV3 } from '../device-auth.js';
import type { GatewayClientOptions } from './gateway-client.js';

export function buildConnectParams(o: GatewayClientOptions, deviceToken: string | undefined, challenge: ConnectChallenge): ConnectParams {
  const role = o.role ?? 'operator';
  const scopes = o.scopes ?? [];
  const auth: NonNullable<ConnectParams['auth']> = {};
  if (o.token) auth.token = o.token;
  if (deviceToken) auth.deviceToken = deviceToken;
  // A setup code's token, only until the gateway issued a device token (then that one is sent instead).
  if (o.bootstrapToken && !o.token && !deviceToken) auth.bootstrapToken = o.bootstrapToken;
  const params: ConnectParams = {
    minProtocol: o.minProtocol ?? SUPPORTED_PROTOCOLS[0],
    maxProtocol: o.maxProtocol ?? SUPPORTED_PROTOCOLS[SUPPORTED_PROTOCOLS.length - 1]!,
    client: { ...o.client },
    role,
    scopes,
    caps: o.caps ?? [],
  };
  if (o.commands) params.commands = o.commands;
  if (o.permissions) params.permissions = o.permissions;
  if (o.pathEnv) params.pathEnv = o.pathEnv;
  if (o.userAgent) params.userAgent = o.userAgent;
  if (Object.keys(auth).length > 0) params.auth = auth;
  if (o.identity) {
    const signedAt = challenge.ts;
    const payload = buildDeviceAuthPayloadV3({
      deviceId: o.identity.deviceId,
      clientId: o.client.id,
      clientMode: o.client.mode,
      role,
      scopes,
      signedAtMs: signedAt,
      token: auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? '',
      nonce: challenge.nonce,
      platform: o.client.platform,
      deviceFamily: o.client.deviceFamily,
    });
    params.device = {
      id: o.identity.deviceId,
      publicKey: o.identity.publicKey,
      signature: o.identity.sign(payload),
      signedAt,
      nonce: challenge.nonce,
    };
  }
  return params;
}
