/** The three frame kinds and ErrorShape. Envelopes are closed: old OpenClaw clients drop frames with extra keys. */
import { Type, type Static } from '@sinclair/typebox';

export const ErrorShapeSchema = Type.Object(
  {
    code: Type.String({ minLength: 1 }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
    retryable: Type.Optional(Type.Boolean()),
    retryAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false, $id: 'ErrorShape' },
);

export const RequestFrameSchema = Type.Object(
  {
    type: Type.Literal('req'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    method: Type.String({ minLength: 1, maxLength: 256 }),
    params: Type.Optional(Type.Unknown()),
    traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false, $id: 'RequestFrame' },
);
export type RequestFrame = Static<typeof RequestFrameSchema>;

export const ResponseFrameSchema = Type.Object(
  {
    type: Type.Literal('res'),
    id: Type.String(),
    ok: Type.Boolean(),
    payload: Type.Optional(Type.Unknown()),
    error: Type.Optional(ErrorShapeSchema),
  },
  { additionalProperties: false, $id: 'ResponseFrame' },
);
export type ResponseFrame = Static<typeof ResponseFrameSchema>;

export const StateVersionSchema = Type.Object(
  { presence: Type.Integer({ minimum: 0 }), health: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

export const EventFrameSchema = Type.Object(
  {
    type: Type.Literal('event'),
    event: Type.String({ minLength: 1 }),
    payload: Type.Optional(Type.Unknown()),
    seq: Type.Optional(Type.Integer({ minimum: 0 })),
    stateVersion: Type.Optional(StateVersionSchema),
  },
  { additionalProperties: false, $id: 'EventFrame' },
);
export type EventFrame = Static<typeof EventFrameSchema>;

export type Frame = RequestFrame | ResponseFrame | EventFrame;
