/**
 * The embedded agent's configuration: `agent.*` in tether.json, with the model's endpoint also from
 * the environment (TETHER_AGENT_MODEL, TETHER_AGENT_BASE_URL, OPENAI_API_KEY; env wins over the
 * file, as for the gateway's port and token). No model means the agent is off and says how to turn it on.
 */
import { z } from 'zod';
import type { OperatorScope } from '@tether/protocol';

/** Scopes the agent may hold. Pairing, approvals and admin are refused: a model must never approve a device or a command. */
const AGENT_SCOPES = ['operator.read', 'operator.write'] as const;

export const AgentFileSchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    baseUrl: z.string().url('must be a URL such as "http://127.0.0.1:11434/v1"').optional(),
    apiKey: z.string().min(1).optional(),
    profile: z
      .object({
        vision: z.boolean().optional(),
        toolStreaming: z.boolean().optional(),
        parallelToolCalls: z.enum(['honoured', 'ignored', 'dropped']).optional(),
        contextWindow: z.number().int().min(1024).max(10_000_000).optional(),
      })
      .strict()
      .optional(),
    timeoutSeconds: z.number().int().min(1).max(86_400).optional(),
    maxToolRounds: z.number().int().min(1).max(100).optional(),
    scopes: z
      .array(z.string())
      .refine((scopes) => scopes.every((s) => (AGENT_SCOPES as readonly string[]).includes(s)), {
        message: `the agent may hold only ${AGENT_SCOPES.join(' and ')}; pairing, approvals and admin are never given to a model`,
      })
      .optional(),
    allowNodes: z.array(z.string().min(1)).optional(),
    denyNodes: z.array(z.string().min(1)).optional(),
    allowCommands: z.array(z.string().min(1)).optional(),
    denyCommands: z.array(z.string().min(1)).optional(),
    workspace: z.string().min(1).optional(),
    imageMaxDimensionPx: z.number().int().min(64).max(8192).optional(),
    imageMaxBytes: z.number().int().min(16_384).max(50 * 1024 * 1024).optional(),
  })
  .strict();

export const AGENT_CONFIG_KEYS = Object.keys(AgentFileSchema.shape);

export type AgentFileConfig = z.infer<typeof AgentFileSchema>;

export interface AgentConfig {
  /** Absent: the agent is not configured, and every entry point says so. */
  model?: string;
  baseUrl: string;
  apiKey?: string;
  profile: AgentFileConfig['profile'] & object;
  timeoutMs: number;
  maxToolRounds: number;
  scopes: readonly OperatorScope[];
  policy: { allowNodes?: string[]; denyNodes?: string[]; allowCommands?: string[]; denyCommands?: string[] };
  /** Where SOUL.md and TOOLS.md are read from. */
  workspace: string;
  imageMaxDimensionPx: number;
  imageMaxBytes: number;
}

export const DEFAULT_AGENT_TIMEOUT_SECONDS = 600;
export const DEFAULT_MAX_TOOL_ROUNDS = 12;
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function resolveAgentConfig(file: AgentFileConfig | undefined, agentDir: string, env: NodeJS.ProcessEnv): AgentConfig {
  return {
    model: env.TETHER_AGENT_MODEL || file?.model,
    baseUrl: (env.TETHER_AGENT_BASE_URL || file?.baseUrl || OPENAI_BASE_URL).replace(/\/+$/, ''),
    apiKey: env.OPENAI_API_KEY || file?.apiKey,
    profile: { ...file?.profile },
    timeoutMs: (file?.timeoutSeconds ?? DEFAULT_AGENT_TIMEOUT_SECONDS) * 1000,
    maxToolRounds: file?.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS,
    scopes: (file?.scopes as OperatorScope[] | undefined) ?? [...AGENT_SCOPES],
    policy: { allowNodes: file?.allowNodes, denyNodes: file?.denyNodes, allowCommands: file?.allowCommands, denyCommands: file?.denyCommands },
    workspace: file?.workspace ?? `${agentDir}/workspace`,
    imageMaxDimensionPx: file?.imageMaxDimensionPx ?? 1200,
    imageMaxBytes: file?.imageMaxBytes ?? 5 * 1024 * 1024,
  };
}

/** The one message every entry point gives when no model is set. */
export function notConfiguredMessage(configPath: string): string {
  return (
    `the agent has no model: set agent.model (and agent.baseUrl for a server other than OpenAI, agent.apiKey if it needs one) in ${configPath}, ` +
    'or the environment variables TETHER_AGENT_MODEL, TETHER_AGENT_BASE_URL and OPENAI_API_KEY, then restart the gateway'
  );
}
