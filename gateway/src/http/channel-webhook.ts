/**
 * POST /channels/<name>/webhook: a chat platform's push delivery (Telegram's webhook mode). Public by
 * nature (the platform has no gateway token), so the channel itself authenticates each delivery (its
 * secret header) before anything is read into the agent; here only the size and the JSON are checked.
 * No channel of that name taking webhooks is a plain 404, like any unknown path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { OpenAIHttpError, readJsonBody } from './openai-request.js';
import { HttpError, json } from './respond.js';

const MAX_WEBHOOK_BYTES = 1024 * 1024;

export async function channelWebhook(gateway: GatewayContext, request: IncomingMessage, response: ServerResponse, name: string): Promise<void> {
  const handle = gateway.channels.webhook(name);
  if (!handle) {
    request.resume();
    throw new HttpError(404, 'NOT_FOUND', `no running channel takes webhooks at /channels/${name}/webhook; see channels.${name}.webhook in docs/channels.md`);
  }
  let body: unknown;
  try {
    body = await readJsonBody(request, MAX_WEBHOOK_BYTES);
  } catch (error) {
    if (error instanceof OpenAIHttpError) throw new HttpError(error.status, error.status === 413 ? 'TOO_LARGE' : 'BAD_REQUEST', error.message);
    throw error;
  }
  const answer = await handle({ headers: request.headers, body });
  json(response, answer.status, answer.body);
}
