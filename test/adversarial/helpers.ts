/** Shared moves of the attack suite: raw HTTP over TCP, and checks that a gateway process is still up. */
import { connect } from 'node:net';
import { expect } from 'vitest';
import type { GatewayProcess } from '../helpers/processes.js';

export interface RawHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends `bytes` as they are (no client-side parsing or escaping) and reads until the server closes or answers. */
export function rawHttp(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(raw.slice(0, 200))}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(raw));
    };
    socket.on('data', (chunk) => {
      raw += chunk.toString('latin1');
      const parsed = parseAnswer(raw);
      const length = Number(parsed.headers['content-length'] ?? NaN);
      if (Number.isFinite(length) && Buffer.byteLength(parsed.body, 'latin1') >= length) finish();
    });
    socket.on('end', finish);
    socket.on('error', (error) => {
      clearTimeout(timer);
      // A reset after a full answer is still an answer.
      if (raw) resolve(parseAnswer(raw));
      else reject(error);
    });
    socket.write(bytes);
  });
}

function parseAnswer(raw: string): RawHttpAnswer {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: split >= 0 ? raw.slice(split + 4) : '', raw };
}

/** The gateway process is running and answers /healthz. */
export async function expectAlive(gateway: GatewayProcess): Promise<void> {
  expect(gateway.child.exitCode, `gateway exited; its output:\n${gateway.output()}`).toBeNull();
  const response = await fetch(`http://127.0.0.1:${gateway.port}/healthz`);
  expect(response.status).toBe(200);
}

/** A JSON error body in the gateway's one shape. */
export function expectJsonError(answer: RawHttpAnswer, status: number, code?: string): void {
  expect(answer.status, answer.raw.slice(0, 300)).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  if (code) expect(body.error?.code).toBe(code);
}
