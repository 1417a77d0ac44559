/**
 * `device.setup.create|list|revoke`: one-time setup codes (OpenClaw's `oc-pair://` format). A code
 * carries this gateway's reachable URL, its TLS fingerprint when it serves TLS, and a bootstrap token
 * that pairs the first node redeeming it with the commands the code allows (setup-redeem.ts).
 */
import { networkInterfaces } from 'node:os';
import {
  DetailCode,
  DeviceSetupCreateParamsSchema,
  DeviceSetupListParamsSchema,
  DeviceSetupRevokeParamsSchema,
  ErrorCode,
  GatewayError,
  SetupCodeError,
  encodeSetupCode,
  isCleartextAllowedHost,
  normalizeSetupCodeUrl,
  normalizeTlsFingerprint,
  setupCodeUri,
  type DeviceSetupCreateResult,
  type DeviceSetupListResult,
  type SetupCodeInfo,
} from '@tether/protocol';
import { PairingStoreError, toBootstrapInfo } from '@tether/pairing';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';
import type { ConnectionSession } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { isAdminApprovalCommand, missingApproveScopes } from '../nodes/approval-scopes.js';
import { callStore } from './device.js';

/** The gateway's certificate fingerprint when it serves TLS, normalised as setup codes carry it. */
export function gatewayTlsFingerprint(gateway: GatewayContext): string | undefined {
  return gateway.tlsFingerprint ? normalizeTlsFingerprint(gateway.tlsFingerprint) : undefined;
}

/**
 * The URL a node on another machine reaches this gateway at: the bound address, or for a wildcard bind
 * the first private (else any non-internal) address of this host. A loopback bind gives its loopback URL.
 */
export function reachableGatewayUrl(gateway: GatewayContext): string {
  const scheme = gatewayTlsFingerprint(gateway) ? 'wss' : 'ws';
  const { host, port } = gateway.listen;
  let chosen = host;
  if (host === '0.0.0.0' || host === '::' || host === '') chosen = lanAddress(host === '::') ?? '127.0.0.1';
  if (chosen === 'localhost') chosen = '127.0.0.1';
  const shown = chosen.includes(':') ? `[${chosen}]` : chosen;
  return `${scheme}://${shown}:${port}`;
}

function lanAddress(allowV6: boolean): string | undefined {
  const candidates = Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal)
    .filter((entry) => entry!.family === 'IPv4' || (allowV6 && entry!.family === 'IPv6' && !entry!.address.startsWith('fe80')))
    .map((entry) => entry!.address);
  return candidates.find((address) => isCleartextAllowedHost(address) && !address.startsWith('169.254.')) ?? candidates[0];
}

/**
 * Minting a code is approving in advance: it needs what approving the allowed commands would need
 * (OpenClaw's rule), and a code that allows whatever the node declares needs operator.admin.
 */
function assertMayMint(session: ConnectionSession, commands: readonly string[] | undefined): void {
  if (session.ownerToken) return;
  const required = new Set(['operator.pairing']);
  if (commands === undefined || commands.length > 0) required.add('operator.write');
  if (commands === undefined || commands.some(isAdminApprovalCommand)) required.add('operator.admin');
  const missing = missingApproveScopes(session.scopes, [...required].sort());
  if (missing.length === 0) return;
  throw new GatewayError({
    code: ErrorCode.FORBIDDEN,
    message:
      `a setup code that allows ${commands === undefined ? 'every command the node declares' : commands.join(', ') || 'no commands'} needs ${[...required].sort().join(', ')}; this session lacks ${missing.join(', ')}. ` +
      'Name fewer commands with --commands, or make the code from a session that holds them (the gateway host\'s CLI with its token does)',
    details: { code: DetailCode.APPROVAL_SCOPE_MISSING, missingScope: missing[0], requiredScopes: [...required].sort(), missingScopes: missing },
  });
}

function codeUrl(gateway: GatewayContext, requested: string | undefined): string {
  try {
    return normalizeSetupCodeUrl(requested ?? reachableGatewayUrl(gateway));
  } catch (error) {
    if (!(error instanceof SetupCodeError)) throw error;
    const hint = requested === undefined ? ' — pass the URL nodes reach this gateway at with --url wss://host:port' : '';
    throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: `${error.message}${hint}`, details: { code: DetailCode.INVALID_PARAMS, setupCodeError: error.code } });
  }
}

const SETUP_STORE_ERRORS: Record<string, string> = {
  UNKNOWN_SETUP_CODE: DetailCode.UNKNOWN_SETUP_CODE,
  TOO_MANY_SETUP_CODES: DetailCode.TOO_MANY_SETUP_CODES,
};

async function callSetupStore<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await callStore(action);
  } catch (error) {
    const detail = error instanceof PairingStoreError ? SETUP_STORE_ERRORS[error.code] : undefined;
    if (detail) throw new GatewayError({ code: ErrorCode.INVALID_REQUEST, message: error instanceof Error ? error.message : String(error), details: { code: detail } });
    throw error;
  }
}

function actor(session: ConnectionSession): string {
  return session.ownerToken ? 'owner' : (session.deviceId ?? `${session.clientId}/${session.clientMode}`);
}

export const deviceSetupMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'device.setup.create',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceSetupCreateParamsSchema,
    handler: async ({ gateway, session }, { ttlMs, commands, name, url: requested }): Promise<DeviceSetupCreateResult> => {
      const allowed = commands === undefined ? undefined : [...new Set(commands)].sort();
      assertMayMint(session, allowed);
      const url = codeUrl(gateway, requested);
      const fingerprint = url.startsWith('wss://') ? gatewayTlsFingerprint(gateway) : undefined;
      const { token, record } = await callSetupStore(() => gateway.store.createBootstrap({ ttlMs, commands: allowed, name, createdBy: actor(session) }));
      const code = encodeSetupCode({ url, bootstrapToken: token, expiresAtMs: record.expiresAtMs, ...(fingerprint && { tlsFingerprint: fingerprint }) });
      const uri = setupCodeUri(code);
      gateway.log.info(`setup code ${record.id} made by ${actor(session)}, valid until ${new Date(record.expiresAtMs).toISOString()} (${allowed ? `commands: ${allowed.join(', ') || 'none'}` : 'every declared command'})`);
      return {
        ...(toBootstrapInfo(record, Date.now()) as SetupCodeInfo),
        code,
        uri,
        url,
        ...(fingerprint && { tlsFingerprint: fingerprint }),
        command: `tether node run --pair '${uri}'`,
      };
    },
  }),
  defineMethod({
    method: 'device.setup.list',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceSetupListParamsSchema,
    handler: ({ gateway }): DeviceSetupListResult => ({ codes: gateway.store.listBootstrap() as SetupCodeInfo[] }),
  }),
  defineMethod({
    method: 'device.setup.revoke',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: DeviceSetupRevokeParamsSchema,
    handler: async ({ gateway, session }, { id }): Promise<SetupCodeInfo> => {
      const record = await callSetupStore(() => gateway.store.revokeBootstrap(id, actor(session)));
      gateway.log.info(`setup code ${id} revoked by ${actor(session)}`);
      return toBootstrapInfo(record, Date.now()) as SetupCodeInfo;
    },
  }),
];
