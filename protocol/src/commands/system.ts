/**
 * Params and results of the `system.*` node commands. The node validates input with these, the
 * gateway may check them, and the agent hands them to the model as tool parameters.
 */
import { Type, type Static } from '@sinclair/typebox';

export const SYSTEM_RUN_OUTPUT_CAP_BYTES = 200_000;

export const SystemRunParamsSchema = Type.Object(
  {
    command: Type.Array(Type.String({ maxLength: 65536 }), { minItems: 1, maxItems: 4096 }),
    rawCommand: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    env: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 65536 }))),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
    // OpenClaw callers add these; accepted and ignored where they do not apply.
    needsScreenRecording: Type.Optional(Type.Boolean()),
    agentId: Type.Optional(Type.String()),
    sessionKey: Type.Optional(Type.String()),
    runId: Type.Optional(Type.String()),
    approved: Type.Optional(Type.Boolean()),
    approvalDecision: Type.Optional(Type.String()),
    systemRunPlan: Type.Optional(Type.Unknown()),
    suppressNotifyOnExit: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, $id: 'SystemRunParams' },
);
export type SystemRunParams = Static<typeof SystemRunParamsSchema>;

export const SystemRunResultSchema = Type.Object(
  {
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    timedOut: Type.Boolean(),
    success: Type.Boolean(),
    stdout: Type.String(),
    stderr: Type.String(),
    error: Type.Union([Type.String(), Type.Null()]),
    // OpenClaw node hosts leave it out.
    truncated: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, $id: 'SystemRunResult' },
);
export type SystemRunResult = Static<typeof SystemRunResultSchema>;

export const SystemWhichParamsSchema = Type.Object(
  { bins: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 256 }) },
  { additionalProperties: false, $id: 'SystemWhichParams' },
);
export type SystemWhichParams = Static<typeof SystemWhichParamsSchema>;

export const SystemWhichResultSchema = Type.Object(
  { bins: Type.Record(Type.String(), Type.String()) },
  { additionalProperties: false, $id: 'SystemWhichResult' },
);
export type SystemWhichResult = Static<typeof SystemWhichResultSchema>;

/** Every node command this protocol defines, by name, with its schemas. */
export const SYSTEM_COMMANDS = {
  'system.run': { params: SystemRunParamsSchema, result: SystemRunResultSchema },
  'system.which': { params: SystemWhichParamsSchema, result: SystemWhichResultSchema },
} as const;
