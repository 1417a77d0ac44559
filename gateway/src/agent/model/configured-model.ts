/** The model client the gateway's config asks for, or none when `agent.model` is not set. */
import type { AgentConfig } from '../agent-config.js';
import { createModelClient } from './model-client.js';
import type { ModelClient } from './types.js';

export function createConfiguredModel(config: AgentConfig): ModelClient | undefined {
  if (!config.model) return undefined;
  return createModelClient({
    model: config.model,
    baseUrl: config.baseUrl,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    profile: Object.fromEntries(Object.entries(config.profile).filter(([, value]) => value !== undefined)),
  });
}
