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
