/** The handshake: `connect.challenge`, `ConnectParams` and `hello-ok`. */
import { Type, type Static } from '@sinclair/typebox';

export const ConnectChallengeSchema = Type.Object(
  {
    nonce: Type.String({ minLength: 1 }),
    ts: Type.Integer({ minimum: 0 }),
    capabilities: Type.Optional(Type.Array(Type.String())),
    /** Tether extension: the gateway's Ed25519 key (base64url raw), so a node can show a verification code. */
    gatewayPublicKey: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'ConnectChallenge' },
);
export type ConnectChallenge = Static<typeof ConnectChallengeSchema>;

const NonEmpty = Type.String({ minLength: 1 });

// client.id and client.mode are enums upstream; we accept any short string so both eras (and newer
// clients) get in. The values we care about are `node-host`/`node` and `cli`/`cli`.
export const ConnectClientSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    displayName: Type.Optional(Type.String({ maxLength: 256 })),
    version: Type.String({ maxLength: 128 }),
    platform: Type.String({ maxLength: 64 }),
    deviceFamily: Type.Optional(Type.String({ maxLength: 64 })),
    modelIdentifier: Type.Optional(Type.String({ maxLength: 128 })),
    mode: Type.String({ minLength: 1, maxLength: 32 }),
    instanceId: Type.Optional(Type.String({ maxLength: 128 })),
    buildId: Type.Optional(Type.String({ maxLength: 256 })),
    timeZone: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const ConnectDeviceSchema = Type.Object(
  {
    id: NonEmpty,
    publicKey: Type.String({ minLength: 1, maxLength: 1024 }),
    signature: Type.String({ minLength: 1, maxLength: 256 }),
    signedAt: Type.Integer({ minimum: 0 }),
    nonce: Type.String(),
  },
  { additionalProperties: false },
);

export const ConnectAuthSchema = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 1024 })),
    bootstrapToken: Type.Optional(Type.String({ maxLength: 1024 })),
    deviceToken: Type.Optional(Type.String({ maxLength: 1024 })),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    approvalRuntimeToken: Type.Optional(Type.String({ maxLength: 1024 })),
    agentRuntimeIdentityToken: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);

export const ConnectParamsSchema = Type.Object(
  {
    minProtocol: Type.Integer({ minimum: 1 }),
    maxProtocol: Type.Integer({ minimum: 1 }),
    client: ConnectClientSchema,
    caps: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 256 })),
    commands: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1024 })),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    pathEnv: Type.Optional(Type.String({ maxLength: 16384 })),
    role: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 })),
    device: Type.Optional(ConnectDeviceSchema),
    auth: Type.Optional(ConnectAuthSchema),
    locale: Type.Optional(Type.String({ maxLength: 64 })),
    userAgent: Type.Optional(Type.String({ maxLength: 512 })),
    computerUse: Type.Optional(Type.Unknown()),
    workerRuns: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false, $id: 'ConnectParams' },
);
export type ConnectParams = Static<typeof ConnectParamsSchema>;

export const PresenceEntrySchema = Type.Object(
  {
    ts: Type.Integer({ minimum: 0 }),
    connId: Type.Optional(Type.String()),
    deviceId: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    clientMode: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    remoteIp: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type PresenceEntry = Static<typeof PresenceEntrySchema>;

export const HelloOkSchema = Type.Object(
  {
    type: Type.Literal('hello-ok'),
    protocol: Type.Integer({ minimum: 1 }),
    server: Type.Object({ version: Type.String(), connId: Type.String() }, { additionalProperties: true }),
    features: Type.Object(
      {
        methods: Type.Array(Type.String()),
        events: Type.Array(Type.String()),
        capabilities: Type.Optional(Type.Array(Type.String())),
      },
      { additionalProperties: true },
    ),
    snapshot: Type.Object(
      {
        presence: Type.Array(PresenceEntrySchema),
        health: Type.Record(Type.String(), Type.Unknown()),
        stateVersion: Type.Object({ presence: Type.Integer(), health: Type.Integer() }),
        uptimeMs: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: true },
    ),
    auth: Type.Optional(
      Type.Object(
        {
          role: Type.String(),
          scopes: Type.Array(Type.String()),
          deviceToken: Type.Optional(Type.String()),
          issuedAtMs: Type.Optional(Type.Integer()),
          method: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
    policy: Type.Object(
      { maxPayload: Type.Integer(), maxBufferedBytes: Type.Integer(), tickIntervalMs: Type.Integer() },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, $id: 'HelloOk' },
);
export type HelloOk = Static<typeof HelloOkSchema>;
