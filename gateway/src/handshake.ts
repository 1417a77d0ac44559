/**
 * Admission of one `connect`, in order: protocol range, role and scopes, shared auth, device proof,
 * pairing decision. Every refusal carries OpenClaw's wire code, a stable `details.code`, a message
 * that says what to do, and the close code to use.
 */
import {
  CloseCode,
  DetailCode,
  DEVICE_SIGNATURE_SKEW_MS,
  ErrorCode,
  OPERATOR_SCOPES,
  PAIRING_RETRY_MS,
  PROTOCOL_VERSION,
  ROLES,
  SUPPORTED_PROTOCOLS,
  deriveDeviceId,
  rawPublicKeyFrom,
  safeLabel,
  signatureToken,
  verifyDeviceAuthSignature,
  type ConnectParams,
  type ErrorShape,
  type Role,
} from '@tether/protocol';
import type { DeviceClaim, PairedDevice, PendingRequest } from '@tether/pairing';
import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { pendingInfo } from './methods/device.js';
import { isSharedToken } from './secrets.js';
import { redeemSetupCode } from './setup-redeem.js';

/**
 * The most a device may declare. OpenClaw's richest nodes declare about 50 commands; the schema's
 * per-item bounds still allow 1,024 × 128 bytes, which every pending request would keep in memory.
 */
export const MAX_DECLARED_COMMANDS = 256;
export const MAX_DECLARED_CAPS = 64;
export const MAX_DECLARED_SURFACE_CHARS = 16 * 1024;

export type Admission =
  | {
      ok: true;
      role: Role;
      scopes: string[];
      protocol: number;
      /** How the peer proved itself: the shared token, its device token, or its device key alone. */
      authMethod: 'token' | 'device-token' | 'device-key' | 'bootstrap-token' | 'none';
      /** An operator admitted on the owner's credential (the shared token, or no auth configured). */
      owner?: true;
      deviceId?: string;
      device?: PairedDevice;
      issuedToken?: string;
      /**
       * Set when a node is admitted while its pairing request waits for an operator: it holds its
       * socket with no commands until approved (see `holdsWhilePending`).
       */
      waiting?: { request: PendingRequest; claim: DeviceClaim };
    }
  | { ok: false; error: ErrorShape; closeCode: number; closeReason: string };

function refuse(code: string, message: string, details: Record<string, unknown>, closeCode: number = CloseCode.POLICY_VIOLATION, closeReason = message, extra: Partial<ErrorShape> = {}): Admission {
  return { ok: false, error: { code, message, details, ...extra }, closeCode, closeReason };
}

function proofFailure(detailCode: string, reason: string, message: string): Admission {
  return refuse(ErrorCode.INVALID_REQUEST, message, { code: detailCode, reason });
}

function surfaceRefusal(params: ConnectParams): Admission | undefined {
  const commands = params.commands ?? [];
  const caps = params.caps ?? [];
  const chars = [...commands, ...caps].reduce((sum, name) => sum + name.length, 0);
  if (commands.length <= MAX_DECLARED_COMMANDS && caps.length <= MAX_DECLARED_CAPS && chars <= MAX_DECLARED_SURFACE_CHARS) return undefined;
  return refuse(
    ErrorCode.INVALID_REQUEST,
    `declared surface too large: ${commands.length} commands and ${caps.length} caps (${chars} characters); a device may declare at most ${MAX_DECLARED_COMMANDS} commands, ${MAX_DECLARED_CAPS} caps and ${MAX_DECLARED_SURFACE_CHARS} characters in all`,
    { code: DetailCode.SURFACE_TOO_LARGE, commands: commands.length, caps: caps.length, chars },
  );
}

/**
 * Whether a pending node is held connected instead of refused. Stock OpenClaw node hosts give up on a
 * refused connect (v3 hosts exit, v4 hosts back off to 30 s), so they wait on an open socket with no
 * commands and are live the moment an operator approves. Tether's node-agent says it retries every
 * second by itself (userAgent tether-node/…), and gets the NOT_PAIRED answer with the request id.
 */
export function holdsWhilePending(params: ConnectParams): boolean {
  return params.role === 'node' && !isTetherNodeAgent(params);
}

function isTetherNodeAgent(params: ConnectParams): boolean {
  return (params.userAgent ?? '').startsWith('tether-node/');
}

export function negotiateProtocol(min: number, max: number): number | undefined {
  const common = SUPPORTED_PROTOCOLS.filter((version) => version >= min && version <= max);
  return common.length > 0 ? Math.max(...common) : undefined;
}

export async function admitConnection(gateway: GatewayContext, connection: Connection, params: ConnectParams): Promise<Admission> {
  const protocol = negotiateProtocol(params.minProtocol, params.maxProtocol);
  if (protocol === undefined) {
    return refuse(
      ErrorCode.INVALID_REQUEST,
      'protocol mismatch',
      {
        code: DetailCode.PROTOCOL_MISMATCH,
        clientMinProtocol: params.minProtocol,
        clientMaxProtocol: params.maxProtocol,
        expectedProtocol: PROTOCOL_VERSION,
        minimumProbeProtocol: 3,
        supportedProtocols: [...SUPPORTED_PROTOCOLS],
      },
      CloseCode.PROTOCOL_MISMATCH,
    );
  }

  const role = (params.role ?? 'operator') as Role;
  if (!ROLES.includes(role)) return refuse(ErrorCode.INVALID_REQUEST, 'invalid role', { code: DetailCode.INVALID_PARAMS, role: params.role });
  const scopes = role === 'node' ? [] : [...new Set(params.scopes ?? [])];
  const unknownScope = scopes.find((scope) => !(OPERATOR_SCOPES as readonly string[]).includes(scope));
  if (unknownScope) {
    return refuse(ErrorCode.INVALID_REQUEST, `invalid connect params: unknown scope "${unknownScope}" (known: ${OPERATOR_SCOPES.join(', ')})`, {
      code: DetailCode.INVALID_PARAMS,
    });
  }

  const tooLarge = surfaceRefusal(params);
  if (tooLarge) return tooLarge;

  const presented = params.auth?.token;
  const sharedOk = isSharedToken(gateway, presented);
  const device = params.device;

  if (presented !== undefined && !sharedOk && !device) {
    return refuse(ErrorCode.INVALID_REQUEST, "unauthorized: gateway token mismatch (use this gateway's token from its state dir, or pair the device)", {
      code: DetailCode.AUTH_TOKEN_MISMATCH,
      authReason: 'token_mismatch',
      canRetryWithDeviceToken: false,
      recommendedNextStep: 'update_auth_credentials',
    });
  }
  if (!device) {
    if (role === 'node') {
      return refuse(ErrorCode.NOT_PAIRED, 'device identity required', { code: DetailCode.DEVICE_IDENTITY_REQUIRED, reason: 'device-identity-missing' });
    }
    if (sharedOk) return { ok: true, role, scopes, protocol, authMethod: gateway.config.authMode === 'none' ? 'none' : 'token', owner: true };
    return refuse(ErrorCode.INVALID_REQUEST, 'unauthorized: gateway token missing (pass --token or set TETHER_GATEWAY_TOKEN, or pair this device)', {
      code: DetailCode.AUTH_TOKEN_MISSING,
      authReason: 'token_missing',
      canRetryWithDeviceToken: false,
      recommendedNextStep: 'update_auth_configuration',
    });
  }

  const raw = rawPublicKeyFrom(device.publicKey);
  if (!raw) return proofFailure(DetailCode.DEVICE_AUTH_PUBLIC_KEY_INVALID, 'device-public-key', 'device public key invalid');
  if (deriveDeviceId(raw) !== device.id) return proofFailure(DetailCode.DEVICE_AUTH_DEVICE_ID_MISMATCH, 'device-id-mismatch', 'device identity mismatch');
  if (Math.abs(Date.now() - device.signedAt) > DEVICE_SIGNATURE_SKEW_MS) {
    return proofFailure(DetailCode.DEVICE_AUTH_SIGNATURE_EXPIRED, 'device-signature-stale', 'device signature expired');
  }
  if (device.nonce.trim() === '') return proofFailure(DetailCode.DEVICE_AUTH_NONCE_REQUIRED, 'device-nonce-missing', 'device nonce required');
  if (device.nonce !== connection.nonce) return proofFailure(DetailCode.DEVICE_AUTH_NONCE_MISMATCH, 'device-nonce-mismatch', 'device nonce mismatch');
  const verified = verifyDeviceAuthSignature(
    gateway.publicKeys.get(raw),
    {
      deviceId: device.id,
      clientId: params.client.id,
      clientMode: params.client.mode,
      role,
      scopes: params.scopes ?? [],
      signedAtMs: device.signedAt,
      token: signatureToken(params.auth),
      nonce: device.nonce,
      platform: params.client.platform,
      deviceFamily: params.client.deviceFamily,
    },
    device.signature,
  );
  if (!verified) return proofFailure(DetailCode.DEVICE_AUTH_SIGNATURE_INVALID, 'device-signature', 'device signature invalid');

  // The shared token is the owner's credential: an operator holding it needs no pairing.
  if (role === 'operator' && sharedOk) return { ok: true, role, scopes, protocol, authMethod: 'token', owner: true, deviceId: device.id };

  const claim: DeviceClaim = {
    deviceId: device.id,
    publicKey: raw.toString('base64url'),
    role,
    scopes,
    commands: [...new Set(params.commands ?? [])],
    caps: [...new Set(params.caps ?? [])],
    displayName: params.client.displayName,
    platform: params.client.platform,
    deviceFamily: params.client.deviceFamily,
    clientId: params.client.id,
    clientMode: params.client.mode,
    remoteIp: connection.remoteIp,
  };
  // A setup code's bootstrap token pairs the node itself (setup-redeem.ts). A device token, or the
  // shared token, takes precedence: the device is paired already, or the owner is connecting it.
  const bootstrapToken = params.auth?.bootstrapToken;
  if (bootstrapToken !== undefined && params.auth?.deviceToken === undefined && presented === undefined) {
    const redeemed = await redeemSetupCode(gateway, claim, bootstrapToken);
    if (!redeemed.ok) return redeemed;
    return { ok: true, role, scopes: [], protocol, authMethod: 'bootstrap-token', deviceId: device.id, device: redeemed.device, issuedToken: redeemed.issuedToken };
  }
  const presentedDeviceToken = params.auth?.deviceToken ?? (sharedOk ? undefined : presented);
  // Silent pairing (and silent surface upgrades) need a credential, not just a local socket: any local
  // process, any page in the owner's browser and any TCP forwarder reach loopback. The local CLI and
  // `tether up` hold the shared token, so they still pair without a prompt.
  const autoApprove = role === 'node' && connection.isLoopbackPeer && sharedOk && gateway.config.autoApproveLoopback;
  // A client on the shared token that is not a Tether node keeps no device token (stock OpenClaw
  // node hosts): minting one on each connect would only cost writes.
  const issueIfMissing = !sharedOk || isTetherNodeAgent(params);
  const decision = await gateway.store.admit(claim, presentedDeviceToken, { autoApprove, issueIfMissing });

  if (decision.kind === 'throttled') {
    return refuse(
      ErrorCode.UNAVAILABLE,
      `pairing throttled: too many devices are waiting for approval (${decision.limit === 'per-address' ? 'from this address' : 'in total'}); retry in ${Math.ceil(decision.retryAfterMs / 1000)} s, or ask the owner to clear requests with tether devices list`,
      { code: DetailCode.PAIRING_THROTTLED, limit: decision.limit, recommendedNextStep: 'wait_then_retry', pauseReconnect: false },
      CloseCode.TRY_AGAIN_LATER,
      'pairing throttled',
      { retryable: true, retryAfterMs: decision.retryAfterMs },
    );
  }
  if (decision.kind === 'rejected') {
    const retryAfterMs = Math.max(0, decision.rejection.untilMs - Date.now());
    return refuse(
      ErrorCode.NOT_PAIRED,
      `pairing rejected: an operator rejected request ${decision.rejection.requestId}; it may ask again in ${Math.ceil(retryAfterMs / 1000)} s`,
      { code: DetailCode.PAIRING_REJECTED, requestId: decision.rejection.requestId, deviceId: device.id },
      CloseCode.POLICY_VIOLATION,
      'pairing rejected',
      { retryAfterMs },
    );
  }
  if (decision.kind === 'pending') {
    const request = decision.request;
    for (const old of decision.superseded) {
      gateway.broadcaster.broadcast('device.pair.resolved', { requestId: old.requestId, deviceId: old.deviceId, decision: 'superseded', ts: Date.now() }, { scope: 'operator.pairing' });
    }
    if (decision.created) {
      gateway.log.info(`pairing requested by ${safeLabel(request.displayName, 64, request.deviceId.slice(0, 12))} (${request.role}) from ${request.remoteIp ?? '?'}; approve with: tether devices approve ${request.requestId}`);
      gateway.broadcaster.broadcast('device.pair.requested', pendingInfo(gateway, request), { scope: 'operator.pairing' });
    }
    if (holdsWhilePending(params)) {
      return { ok: true, role, scopes: [], protocol, authMethod: 'none', deviceId: device.id, waiting: { request, claim } };
    }
    const details: Record<string, unknown> = {
      code: DetailCode.PAIRING_REQUIRED,
      reason: request.reason,
      requestId: request.requestId,
      deviceId: request.deviceId,
      requestedRole: request.role,
      verificationCode: pendingInfo(gateway, request).verificationCode,
      remediationHint: `Approve this device on the gateway host: tether devices approve ${request.requestId}`,
      // Keep stock OpenClaw node hosts retrying instead of pausing until restarted.
      pauseReconnect: false,
      recommendedNextStep: 'wait_then_retry',
    };
    if (request.scopes.length > 0) details.requestedScopes = request.scopes;
    return refuse(
      ErrorCode.NOT_PAIRED,
      'pairing required: device is not approved yet',
      details,
      CloseCode.POLICY_VIOLATION,
      `pairing required: device is not approved yet (requestId: ${request.requestId})`,
      { retryable: true, retryAfterMs: PAIRING_RETRY_MS },
    );
  }

  if (decision.device.approvedVia === 'silent' && decision.device.approvedAtMs >= Date.now() - 1_000) {
    gateway.log.info(`paired ${safeLabel(claim.displayName, 64, claim.deviceId.slice(0, 12))} silently (loopback, with the shared token)`);
  }
  if (decision.surfaceRequest) {
    gateway.broadcaster.broadcast('device.pair.requested', pendingInfo(gateway, decision.surfaceRequest), { scope: 'operator.pairing' });
  }
  return {
    ok: true,
    role,
    scopes: role === 'operator' ? scopes : [],
    protocol,
    authMethod: presentedDeviceToken !== undefined && decision.issuedToken === undefined ? 'device-token' : 'device-key',
    deviceId: device.id,
    device: decision.device,
    issuedToken: decision.issuedToken,
  };
}
