/** `logs.tail` (operator.admin): the gateway's recent log records, and with `follow` a `logs.line` event per new one. */
import { Type, type Static } from '@sinclair/typebox';

export const LOG_TAIL_MAX_LINES = 1000;

export const LogLevelNameSchema = Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { $id: 'LogLevelName' });

/** One record as the gateway writes it to `<stateDir>/logs/gateway.log`; extra keys are its fields. */
export const LogRecordSchema = Type.Object(
  { ts: Type.String(), level: LogLevelNameSchema, subsystem: Type.String(), msg: Type.String() },
  { additionalProperties: true, $id: 'LogRecord' },
);
export type LogRecordShape = Static<typeof LogRecordSchema>;

export const LogsTailParamsSchema = Type.Object(
  {
    /** How many records at most (default 100). */
    lines: Type.Optional(Type.Integer({ minimum: 1, maximum: LOG_TAIL_MAX_LINES })),
    /** Only records at this level or above. */
    level: Type.Optional(LogLevelNameSchema),
    /** Only this subsystem and its children (`channels` matches `channels/telegram`). */
    subsystem: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-z][a-z0-9/-]*$' })),
    /** Keep sending new records to this connection as `logs.line` events until it closes. */
    follow: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, $id: 'LogsTailParams' },
);
export type LogsTailParams = Static<typeof LogsTailParamsSchema>;

export const LogsTailResultSchema = Type.Object(
  {
    /** Oldest first. */
    records: Type.Array(LogRecordSchema),
    /** The file read (absent: this gateway writes no log file). */
    file: Type.Optional(Type.String()),
    /** True when older records may exist beyond what was searched. */
    truncated: Type.Optional(Type.Boolean()),
    following: Type.Boolean(),
  },
  { additionalProperties: true, $id: 'LogsTailResult' },
);
export type LogsTailResult = Static<typeof LogsTailResultSchema>;

/** A followed record, or (`dropped`) how many records this connection missed because it read too slowly. */
export const LogsLineEventSchema = Type.Object(
  { record: Type.Optional(LogRecordSchema), dropped: Type.Optional(Type.Integer({ minimum: 1 })) },
  { additionalProperties: true, $id: 'LogsLineEvent' },
);
export type LogsLineEvent = Static<typeof LogsLineEventSchema>;
