/** `device.pair.*` and `device.token.*` methods and their events. Token secrets never appear in listings. */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 256 });
const RoleSchema = Type.Union([Type.Literal('operator'), Type.Literal('node')]);

/** What a device says about itself, shown on pending requests and paired devices alike. */
const DeviceMetadataFields = {
  displayName: Type.Optional(Type.String()),
  platform: Type.Optional(Type.String()),
  deviceFamily: Type.Optional(Type.String()),
  clientId: Type.Optional(Type.String()),
  clientMode: Type.Optional(Type.String()),
};

export const DevicePairListParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'DevicePairListParams' });

export const DevicePairApproveParamsSchema = Type.Object(
  {
    requestId: Id,
    /** Tether extension: commands to leave out of the approved surface. */
    without: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1024 })),
  },
  { additionalProperties: false, $id: 'DevicePairApproveParams' },
);
export type DevicePairApproveParams = Static<typeof DevicePairApproveParamsSchema>;

export const DevicePairRejectParamsSchema = Type.Object({ requestId: Id }, { additionalProperties: false, $id: 'DevicePairRejectParams' });
export type DevicePairRejectParams = Static<typeof DevicePairRejectParamsSchema>;

export const DevicePairRemoveParamsSchema = Type.Object({ deviceId: Id }, { additionalProperties: false, $id: 'DevicePairRemoveParams' });
export type DevicePairRemoveParams = Static<typeof DevicePairRemoveParamsSchema>;

export const DeviceTokenRotateParamsSchema = Type.Object(
  { deviceId: Id, role: RoleSchema, scopes: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false, $id: 'DeviceTokenRotateParams' },
);
export type DeviceTokenRotateParams = Static<typeof DeviceTokenRotateParamsSchema>;

export const DeviceTokenRevokeParamsSchema = Type.Object(
  { deviceId: Id, role: RoleSchema },
  { additionalProperties: false, $id: 'DeviceTokenRevokeParams' },
);
export type DeviceTokenRevokeParams = Static<typeof DeviceTokenRevokeParamsSchema>;

/** The longest display name an owner may give a device (the CLI and the page show 64 characters). */
export const DISPLAY_NAME_MAX = 64;

/**
 * `device.rename` (Tether extension): the owner's name for a paired device. It wins over the name the
 * device declares on later connects and re-approvals. The gateway checks the name with
 * `checkDisplayName` (the schema only bounds the size).
 */
export const DeviceRenameParamsSchema = Type.Object(
  { deviceId: Id, displayName: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false, $id: 'DeviceRenameParams' },
);
export type DeviceRenameParams = Static<typeof DeviceRenameParamsSchema>;

/** Why a display name was refused: a stable code (in `details.reason`) and a message saying what to type instead. */
export type DisplayNameRefusal = { ok: false; reason: 'DISPLAY_NAME_EMPTY' | 'DISPLAY_NAME_TOO_LONG' | 'DISPLAY_NAME_UNSAFE'; message: string };

/**
 * Control, format, line/paragraph-separator and blank-rendering characters (as display.ts escapes
 * them), plus what renders as nothing or as anything: private-use, unassigned and lone surrogate code
 * points, the braille blank, and every space but the plain one (an em space can fake a column).
 */
const UNSAFE_NAME_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\u115f\u1160\u3164\uffa0\u2800]|(?! )\p{Zs}/u;

/**
 * Trims `raw` and refuses an empty name, one over DISPLAY_NAME_MAX characters (code points), or one
 * with a control or format character: a name is shown in terminals, tables and approval prompts, and
 * an ESC sequence or bidi override there could hide or fake text. Markup (`<img …>`) is allowed: it is
 * only ever rendered as text.
 */
export function checkDisplayName(raw: string): { ok: true; name: string } | DisplayNameRefusal {
  if (UNSAFE_NAME_CHARS.test(raw.replace(/^[ \t]+|[ \t]+$/g, ''))) {
    return { ok: false, reason: 'DISPLAY_NAME_UNSAFE', message: 'a device name may not hold control or format characters (escape sequences, bidi marks, zero-width or line-separator characters); type the name as plain text' };
  }
  const name = raw.trim();
  if (name === '') return { ok: false, reason: 'DISPLAY_NAME_EMPTY', message: 'a device name may not be empty; give it 1 to 64 characters' };
  const length = [...name].length;
  if (length > DISPLAY_NAME_MAX) return { ok: false, reason: 'DISPLAY_NAME_TOO_LONG', message: `a device name takes at most ${DISPLAY_NAME_MAX} characters; this one has ${length}` };
  return { ok: true, name };
}

export const PendingRequestInfoSchema = Type.Object(
  {
    requestId: Type.String(),
    deviceId: Type.String(),
    publicKey: Type.String(),
    ...DeviceMetadataFields,
    role: RoleSchema,
    roles: Type.Array(RoleSchema),
    scopes: Type.Array(Type.String()),
    commands: Type.Array(Type.String()),
    caps: Type.Array(Type.String()),
    remoteIp: Type.Optional(Type.String()),
    isRepair: Type.Boolean(),
    silent: Type.Boolean(),
    reason: Type.String(),
    verificationCode: Type.Optional(Type.String()),
    /** What approving this request needs: every scope it would grant (`operator.admin` satisfies all). */
    requiredApproveScopes: Type.Optional(Type.Array(Type.String())),
    ts: Type.Integer(),
    expiresAtMs: Type.Integer(),
  },
  { additionalProperties: true, $id: 'PendingRequestInfo' },
);
export type PendingRequestInfo = Static<typeof PendingRequestInfoSchema>;

export const TokenInfoSchema = Type.Object(
  {
    role: RoleSchema,
    scopes: Type.Array(Type.String()),
    createdAtMs: Type.Integer(),
    rotatedAtMs: Type.Optional(Type.Integer()),
    revokedAtMs: Type.Optional(Type.Integer()),
    lastUsedAtMs: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type TokenInfo = Static<typeof TokenInfoSchema>;

export const PairedDeviceInfoSchema = Type.Object(
  {
    deviceId: Type.String(),
    publicKey: Type.String(),
    ...DeviceMetadataFields,
    role: RoleSchema,
    roles: Type.Array(RoleSchema),
    scopes: Type.Array(Type.String()),
    commands: Type.Array(Type.String()),
    declaredCommands: Type.Array(Type.String()),
    remoteIp: Type.Optional(Type.String()),
    approvedVia: Type.String(),
    tokens: Type.Array(TokenInfoSchema),
    createdAtMs: Type.Integer(),
    approvedAtMs: Type.Integer(),
    lastSeenAtMs: Type.Optional(Type.Integer()),
    /** When the owner last renamed it (device.rename); its displayName is then the owner's, not the device's. */
    renamedAtMs: Type.Optional(Type.Integer()),
    connected: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true, $id: 'PairedDeviceInfo' },
);
export type PairedDeviceInfo = Static<typeof PairedDeviceInfoSchema>;

export const DevicePairListResultSchema = Type.Object(
  { pending: Type.Array(PendingRequestInfoSchema), paired: Type.Array(PairedDeviceInfoSchema) },
  { additionalProperties: true, $id: 'DevicePairListResult' },
);
export type DevicePairListResult = Static<typeof DevicePairListResultSchema>;

export const DevicePairRequestedEventSchema = Type.Object(
  {
    requestId: Type.String(),
    deviceId: Type.String(),
    publicKey: Type.String(),
    ts: Type.Integer(),
    displayName: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    roles: Type.Optional(Type.Array(Type.String())),
    scopes: Type.Optional(Type.Array(Type.String())),
    remoteIp: Type.Optional(Type.String()),
    silent: Type.Optional(Type.Boolean()),
    isRepair: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true, $id: 'DevicePairRequestedEvent' },
);

export const PairDecisionSchema = Type.Union([
  Type.Literal('approved'),
  Type.Literal('rejected'),
  Type.Literal('expired'),
  Type.Literal('superseded'),
]);

export const DevicePairResolvedEventSchema = Type.Object(
  { requestId: Type.String(), deviceId: Type.String(), decision: PairDecisionSchema, ts: Type.Integer() },
  { additionalProperties: true, $id: 'DevicePairResolvedEvent' },
);
export type DevicePairResolvedEvent = Static<typeof DevicePairResolvedEventSchema>;
