/** A gateway process whose agent talks to a scripted model, and operators that follow its runs. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient, type OperatorScope } from '@tether/protocol';
import { sharedToken } from '../helpers/clients.js';
import { startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import type { ScriptedModel } from '../helpers/scripted-model.js';

export async function startAgentGateway(model: ScriptedModel | undefined, agent: Record<string, unknown> = {}, stateDir = tempDir('tether-agent-gw-')): Promise<GatewayProcess> {
  const config = model ? { agent: { model: 'scripted-model', baseUrl: model.url, ...agent } } : {};
  writeFileSync(join(stateDir, 'tether.json'), JSON.stringify(config));
  return startGatewayProcess({ stateDir });
}

export interface Follower {
  client: GatewayClient;
  events: { event: string; payload: any }[];
}

/** An operator with the shared token; `caps` as a client declares them (`tool-events`). */
export async function follow(gateway: GatewayProcess, options: { caps?: string[]; scopes?: OperatorScope[] } = {}): Promise<Follower> {
  const events: { event: string; payload: any }[] = [];
  const client = new GatewayClient({
    url: gateway.url,
    token: sharedToken(gateway.stateDir),
    role: 'operator',
    scopes: options.scopes ?? ['operator.read', 'operator.write'],
    caps: options.caps ?? [],
    client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' },
    onEvent: (event, payload) => events.push({ event, payload }),
  });
  await client.connect();
  return { client, events };
}

/** Starts a run with `agent` and waits for its end with `agent.wait`. */
export async function runAgent(operator: Follower, message: string, sessionKey = 'agent:main:main'): Promise<{ runId: string; wait: any }> {
  const accepted = await operator.client.request<{ runId: string; status: string }>('agent', { message, sessionKey, idempotencyKey: `run-${Math.random().toString(36).slice(2)}` });
  const wait = await operator.client.request<any>('agent.wait', { runId: accepted.runId, timeoutMs: 60_000 }, { timeoutMs: 65_000 });
  return { runId: accepted.runId, wait };
}

/** The messages of one recorded model request. */
export function sent(model: ScriptedModel, index: number): any[] {
  const request = model.requests[index];
  if (!request) throw new Error(`the model got ${model.requests.length} requests, not ${index + 1}`);
  return (request.body as { messages: any[] }).messages;
}
