/**
 * The handshake's setup-code branch: a node that presents `auth.bootstrapToken` with a verified device
 * key is paired by the code (no operator step) and gets its node token in hello-ok with
 * `auth.method: "bootstrap-token"`. Each refusal has its own stable `details.code` and says what to do.
 */
import { CloseCode, DetailCode, ErrorCode, safeLabel, type ErrorShape } from '@tether/protocol';
import type { BootstrapRefusal, DeviceClaim } from '@tether/pairing';
import type { GatewayContext } from './context.js';

const NEW_CODE = 'ask the gateway owner for a new setup code (tether devices setup-code) and run tether node run --pair with it';

const REFUSALS: Record<BootstrapRefusal, { detail: string; message: string }> = {
  unknown: {
    detail: DetailCode.BOOTSTRAP_TOKEN_INVALID,
    message: `setup code not accepted: this gateway does not know its bootstrap token (mistyped, made by another gateway, or forgotten a week after it ended); ${NEW_CODE}`,
  },
  expired: { detail: DetailCode.BOOTSTRAP_TOKEN_EXPIRED, message: `setup code expired: it was not used in time; ${NEW_CODE}` },
  revoked: { detail: DetailCode.BOOTSTRAP_TOKEN_REVOKED, message: `setup code revoked by an operator; ${NEW_CODE}` },
  used: {
    detail: DetailCode.BOOTSTRAP_TOKEN_USED,
    message: `setup code already used: another device redeemed it (a code pairs one device only), or this device was removed since; ${NEW_CODE}`,
  },
  role: {
    detail: DetailCode.BOOTSTRAP_ROLE_NOT_ALLOWED,
    message: 'setup codes pair nodes only: connect with role "node", or pair this operator device with tether devices approve',
  },
};

export type Redemption =
  | { ok: true; device: NonNullable<Awaited<ReturnType<GatewayContext['store']['getPaired']>>>; issuedToken?: string }
  | { ok: false; error: ErrorShape; closeCode: number; closeReason: string };

export async function redeemSetupCode(gateway: GatewayContext, claim: DeviceClaim, bootstrapToken: string): Promise<Redemption> {
  const outcome = await gateway.store.redeemBootstrap(claim, bootstrapToken);
  const who = safeLabel(claim.displayName, 64, claim.deviceId.slice(0, 12));
  if (outcome.kind === 'refused') {
    const { detail, message } = REFUSALS[outcome.reason];
    gateway.log.warn(`setup code refused (${outcome.reason}) for ${who} from ${claim.remoteIp ?? '?'}${outcome.record ? ` (code ${outcome.record.id})` : ''}`);
    const details: Record<string, unknown> = {
      code: detail,
      reason: `bootstrap-${outcome.reason}`,
      recommendedNextStep: outcome.reason === 'role' ? 'update_auth_configuration' : 'update_auth_credentials',
      // Retrying cannot help: only a new code can.
      pauseReconnect: true,
      canRetryWithDeviceToken: false,
    };
    if (outcome.record && outcome.reason === 'expired') details.expiresAtMs = outcome.record.expiresAtMs;
    return { ok: false, error: { code: ErrorCode.NOT_PAIRED, message, details, retryable: false }, closeCode: CloseCode.POLICY_VIOLATION, closeReason: message.split(':')[0]! };
  }
  if (outcome.kind === 'other') {
    // The repeat path found the device no longer admissible by key (e.g. its token was revoked since).
    const message = `setup code already used by this device, which now needs an operator's approval; run tether devices list on the gateway host`;
    return { ok: false, error: { code: ErrorCode.NOT_PAIRED, message, details: { code: DetailCode.PAIRING_REQUIRED, reason: 'bootstrap-repeat-pending' }, retryable: false }, closeCode: CloseCode.POLICY_VIOLATION, closeReason: 'pairing required' };
  }
  const { device, issuedToken } = outcome.decision;
  if (!outcome.repeat) {
    const withheld = outcome.withheld.length > 0 ? `; withheld (not allowed by the code): ${outcome.withheld.join(', ')}` : '';
    gateway.log.info(`paired ${safeLabel(device.displayName, 64, device.deviceId.slice(0, 12))} by setup code ${outcome.record.id} from ${claim.remoteIp ?? '?'} (commands: ${device.approvedCommands.join(', ') || 'none'}${withheld})`);
    const ts = Date.now();
    gateway.broadcaster.broadcast('device.pair.resolved', { requestId: `bootstrap:${outcome.record.id}`, deviceId: device.deviceId, decision: 'approved', approvedVia: 'bootstrap', ts }, { scope: 'operator.pairing' });
    // Another socket of this device held while its request waited gains the commands now.
    gateway.waitingRoom.release(gateway, device.deviceId, device.approvedCommands);
  }
  return { ok: true, device, ...(issuedToken !== undefined && { issuedToken }) };
}
