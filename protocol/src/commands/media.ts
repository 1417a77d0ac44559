/**
 * How captured media travels in a result: inline as base64 (OpenClaw's shape, small media), or, on a
 * Tether gateway above the node's inline limit, as a reference into the gateway's media store.
 */
import { Type } from '@sinclair/typebox';

export const MediaPayloadFields = {
  base64: Type.Optional(Type.String()),
  mediaId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  url: Type.Optional(Type.String()),
  bytes: Type.Optional(Type.Integer({ minimum: 0 })),
  sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
};
