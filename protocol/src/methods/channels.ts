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
