/**
 * Params and result of `system.notify` (OpenClaw's field names). It lives apart from system.ts because a
 * different provider serves it: notifications need a desktop or a console, not the exec policy.
 */
import { Type, type Static } from '@sinclair/typebox';

export const NotifyParamsSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 256 }),
    body: Type.String({ maxLength: 4096 }),
    priority: Type.Optional(Type.Union([Type.Literal('passive'), Type.Literal('active'), Type.Literal('timeSensitive')])),
    /** true: the default sound; false: silent; a string: a sound name for the backend. */
    sound: Type.Optional(Type.Union([Type.Boolean(), Type.String({ minLength: 1, maxLength: 256 })])),
    /** "system": the OS notification or an error; "overlay" and "auto": the OS notification, else the node's console. */
    delivery: Type.Optional(Type.Union([Type.Literal('system'), Type.Literal('overlay'), Type.Literal('auto')])),
  },
  { additionalProperties: false, $id: 'NotifyParams' },
);
export type NotifyParams = Static<typeof NotifyParamsSchema>;

export const NOTIFY_BACKENDS = ['notify-send', 'osascript', 'console'] as const;
export type NotifyBackend = (typeof NOTIFY_BACKENDS)[number];

export const NotifyResultSchema = Type.Object(
  {
    delivered: Type.Boolean(),
    backend: Type.Union([Type.Literal('notify-send'), Type.Literal('osascript'), Type.Literal('console')]),
  },
  { additionalProperties: false, $id: 'NotifyResult' },
);
export type NotifyResult = Static<typeof NotifyResultSchema>;

export const NOTIFY_COMMANDS = {
  'system.notify': { params: NotifyParamsSchema, result: NotifyResultSchema },
} as const;
