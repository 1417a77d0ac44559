/** In-test clients of a real gateway process: an operator with the shared token, and scriptable nodes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayClient, type OperatorScope } from '@tether/protocol';
import { loadOrCreateIdentity, type DeviceIdentity } from '@tether/pairing';
import { tempDir } from './processes.js';

export function sharedToken(stateDir: string): string {
  return readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
}

export async function connectOperator(url: string, stateDir: string, scopes: OperatorScope[] = ['operator.admin']): Promise<GatewayClient> {
  const client = new GatewayClient({ url, token: sharedToken(stateDir), role: 'operator', scopes, client: { id: 'test', mode: 'test', version: 'test', platform: 'linux' } });
  await client.connect();
  return client;
}

export interface TestNode {
  client: GatewayClient;
  identity: DeviceIdentity;
  events: { event: string; payload: any }[];
  /** Resolves with "<code> <reason>" when the gateway closes the connection. */
  disconnected: Promise<string>;
  waitForEvent(event: string, timeoutMs?: number): Promise<any>;
}

/** A node whose invoke handling the test scripts itself (it answers nothing unless told to). */
/** `token`: the shared token, which a node on the gateway's host needs to pair silently. */
export async function connectTestNode(url: string, options: { commands?: string[]; displayName?: string; token?: string } = {}): Promise<TestNode> {
  const identity = loadOrCreateIdentity({ dir: join(tempDir('tether-node-id-'), 'identity') });
  const events: { event: string; payload: any }[] = [];
  const waiters: { event: string; resolve: (p: any) => void }[] = [];
  let onDisconnect: (text: string) => void = () => undefined;
  const disconnected = new Promise<string>((resolve) => (onDisconnect = resolve));
  const client = new GatewayClient({
    url,
    role: 'node',
    identity,
    token: options.token,
    commands: options.commands ?? ['system.which'],
    userAgent: 'tether-node/test',
    client: { id: 'node-host', mode: 'node', version: 'test', platform: 'linux', deviceFamily: 'Linux', displayName: options.displayName ?? 'test-node' },
    onDisconnect: (code, reason) => onDisconnect(`${code} ${reason}`),
    onEvent: (event, payload) => {
      events.push({ event, payload });
      const index = waiters.findIndex((w) => w.event === event);
      if (index >= 0) waiters.splice(index, 1)[0]!.resolve(payload);
    },
  });
  await client.connect();
  return {
    client,
    identity,
    events,
    disconnected,
    waitForEvent(event, timeoutMs = 5_000) {
      const seen = events.find((e) => e.event === event);
      if (seen) {
        events.splice(events.indexOf(seen), 1);
        return Promise.resolve(seen.payload);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ event, resolve: (p) => (clearTimeout(timer), resolve(p)) });
      });
    },
  };
}

/** What a scripted node answers one invoke with: a payload (sent as payloadJSON) or a node error. */
export type InvokeAnswer = { payload: unknown } | { error: { code: string; message: string } };

/** Answers every invoke request the test node receives with `answer(request)`; returns a stop function. */
export function answerInvokes(node: TestNode, answer: (request: { id: string; command: string; paramsJSON?: string }) => InvokeAnswer): () => void {
  const timer = setInterval(() => {
    for (const entry of node.events.splice(0)) {
      if (entry.event !== 'node.invoke.request') continue;
      const request = entry.payload as { id: string; nodeId: string; command: string; paramsJSON?: string };
      const reply = answer(request);
      const frame = 'error' in reply
        ? { id: request.id, nodeId: request.nodeId, ok: false, error: reply.error }
        : { id: request.id, nodeId: request.nodeId, ok: true, payloadJSON: JSON.stringify(reply.payload) };
      void node.client.request('node.invoke.result', frame).catch(() => undefined);
    }
  }, 5);
  return () => clearInterval(timer);
}
