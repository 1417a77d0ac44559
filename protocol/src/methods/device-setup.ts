/**
 * `device.setup.*`: one-time setup codes (OpenClaw's `oc-pair://` format, see setup-code.ts) that pair a
 * node with no operator step. Needs `operator.pairing`, plus the scopes approving the allowed commands
 * would need (`operator.write`; `operator.admin` for commands that run programs or touch files, and for
 * a code that allows every declared command).
 */
import { Type, type Static } from '@sinclair/typebox';

export const DeviceSetupCreateParamsSchema = Type.Object(
  {
    /** Lifetime, 1 s to 24 h (default 10 min). */
    ttlMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 24 * 60 * 60_000 })),
    /** The commands a node redeeming the code is approved for (those it declares); absent: all it declares. */
    commands: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 256 })),
    /** The paired node's name (else the one it reports). */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The gateway URL the code names (ws[s]://host[:port][/path]); default: the gateway's own reachable URL. */
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: false, $id: 'DeviceSetupCreateParams' },
);
export type DeviceSetupCreateParams = Static<typeof DeviceSetupCreateParamsSchema>;

export const SetupCodeInfoSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('redeemed'), Type.Literal('revoked')]),
    createdAtMs: Type.Integer(),
    expiresAtMs: Type.Integer(),
    commands: Type.Optional(Type.Array(Type.String())),
    name: Type.Optional(Type.String()),
    createdBy: Type.String(),
    revokedAtMs: Type.Optional(Type.Integer()),
    redeemedAtMs: Type.Optional(Type.Integer()),
    /** The device id that redeemed it. */
    redeemedBy: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'SetupCodeInfo' },
);
export type SetupCodeInfo = Static<typeof SetupCodeInfoSchema>;

export const DeviceSetupCreateResultSchema = Type.Object(
  {
    ...SetupCodeInfoSchema.properties,
    /** The bare code (what the QR code carries). Shown once: the gateway keeps only its token's hash. */
    code: Type.String(),
    /** `oc-pair://<code>`. */
    uri: Type.String(),
    url: Type.String(),
    tlsFingerprint: Type.Optional(Type.String()),
    /** What to run on the node: `tether node run --pair '<uri>'`. */
    command: Type.String(),
  },
  { additionalProperties: true, $id: 'DeviceSetupCreateResult' },
);
export type DeviceSetupCreateResult = Static<typeof DeviceSetupCreateResultSchema>;

export const DeviceSetupListParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'DeviceSetupListParams' });
export const DeviceSetupListResultSchema = Type.Object({ codes: Type.Array(SetupCodeInfoSchema) }, { additionalProperties: true, $id: 'DeviceSetupListResult' });
export type DeviceSetupListResult = Static<typeof DeviceSetupListResultSchema>;

export const DeviceSetupRevokeParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false, $id: 'DeviceSetupRevokeParams' },
);
export type DeviceSetupRevokeParams = Static<typeof DeviceSetupRevokeParamsSchema>;
