/**
 * The chat channels over WebSocket: their state (`channels.status`, readers), and the owner's side of
 * DM pairing (`channels.pairing.list|approve`, `operator.pairing`: approving a stranger lets them talk
 * to the agent, which acts on the mesh).
 */
import { ChannelsPairingApproveParamsSchema, ChannelsPairingListParamsSchema, ChannelsStatusParamsSchema, ErrorCode, GatewayError, safeLabel } from '@tether/protocol';
import { defineMethod, type RegisteredMethod } from '../method-registry.js';

export const channelMethods: RegisteredMethod[] = [
  defineMethod({
    method: 'channels.status',
    roles: ['operator'],
    scope: 'operator.read',
    params: ChannelsStatusParamsSchema,
    handler: ({ gateway }) => ({ channels: gateway.channels.list() }),
  }),
  defineMethod({
    method: 'channels.pairing.list',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: ChannelsPairingListParamsSchema,
    handler: ({ gateway }) => ({ pending: gateway.channels.pairing.list() }),
  }),
  defineMethod({
    method: 'channels.pairing.approve',
    roles: ['operator'],
    scope: 'operator.pairing',
    params: ChannelsPairingApproveParamsSchema,
    handler: async ({ gateway }, params) => {
      const approved = await gateway.channels.pairing.approve(params.code);
      if (!approved) {
        throw new GatewayError({
          code: ErrorCode.INVALID_REQUEST,
          message: `no waiting chat sender has the code ${safeLabel(params.code, 16)} (codes expire after an hour); list them with \`tether channels pairing list\``,
          details: { code: 'CHANNEL_CODE_NOT_FOUND' },
        });
      }
      gateway.log.info(`channels: approved ${safeLabel(approved.senderName, 64, approved.senderId)} (${safeLabel(approved.senderId, 64)}) on ${approved.channel}`);
      return { approved };
    },
  }),
];
