/** Answers on the HTTP side of the port: every answer is JSON, every error is `{error: {code, message}}`. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

export function fail(response: ServerResponse, status: number, code: string, message: string): void {
  json(response, status, { error: { code, message } });
}

/**
 * Ends an answer whose body the client is still sending: read and drop what remains (bounded by the
 * socket closing) so the error reaches the client instead of a reset.
 */
export function failAndDrain(request: IncomingMessage, response: ServerResponse, status: number, code: string, message: string): void {
  request.resume();
  fail(response, status, code, message);
}

export function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

/** The raw bytes Node's parser could not read: a fixed JSON 400, then the socket is closed. */
export function badRequestBytes(message: string): string {
  const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message } });
  return `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
