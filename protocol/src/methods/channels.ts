/** `channels.*`: the chat channels' state and the owner's answers to strangers' pairing codes. */
import { Type, type Static } from '@sinclair/typebox';

export const ChannelsStatusParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'ChannelsStatusParams' });
export const ChannelsPairingListParamsSchema = Type.Object({}, { additionalProperties: true, $id: 'ChannelsPairingListParams' });
export const ChannelsPairingApproveParamsSchema = Type.Object(
  { code: Type.String({ minLength: 4, maxLength: 16, pattern: '^[A-Za-z0-9]+$' }) },
  { additionalProperties: false, $id: 'ChannelsPairingApproveParams' },
);
export type ChannelsPairingApproveParams = Static<typeof ChannelsPairingApproveParamsSchema>;

export const ChannelPendingSenderSchema = Type.Object(
  { code: Type.String(), channel: Type.String(), senderId: Type.String(), senderName: Type.Optional(Type.String()), createdAtMs: Type.Integer() },
  { additionalProperties: false, $id: 'ChannelPendingSender' },
);
export type ChannelPendingSender = Static<typeof ChannelPendingSenderSchema>;

/** A chat channel's state as `channels.status`, `health` and `status` report it. */
export const ChannelStateSchema = Type.Object(
  {
    name: Type.String(),
    state: Type.Union([Type.Literal('stopped'), Type.Literal('starting'), Type.Literal('connected'), Type.Literal('reconnecting'), Type.Literal('failed')]),
    /** Why it is reconnecting or failed, for people (never a secret). */
    reason: Type.Optional(Type.String()),
    /** When the last message or button press arrived. */
    lastMessageAtMs: Type.Optional(Type.Integer()),
    /** When the platform was last heard from at all (a poll answered, a heartbeat). */
    lastActivityAtMs: Type.Optional(Type.Integer()),
    /** How often the gateway restarted it after it went deaf. */
    deafRestarts: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true, $id: 'ChannelState' },
);
export type ChannelState = Static<typeof ChannelStateSchema>;
