/** Shared moves of the attack suite: raw HTTP over TCP, and checks that a gateway process is still up. */
import { connect as tcpConnect } from 'node:net';
import { expect } from 'vitest';
import type { GatewayProcess } from '../helpers/processes.js';

export interface TcpOutcome {
  data: Buffer;
  timedOut: boolean;
  error?: string;
}

/** Writes raw bytes to a TCP port, half-closes, and collects everything until the peer closes. */
export function tcpExchange(port: number, bytes: Uint8Array, timeoutMs = 5_000): Promise<TcpOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let timedOut = false;
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e) => (error = e.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), timedOut, ...(error !== undefined && { error }) });
    });
  });
}

export interface RawHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends `bytes` as they are (no client-side parsing or escaping) and parses what comes back until the server closes. */
export async function rawHttp(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawHttpAnswer> {
  const outcome = await tcpExchange(port, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, timeoutMs);
  if (outcome.timedOut) throw new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(outcome.data.toString('latin1').slice(0, 200))}`);
  if (outcome.data.length === 0 && outcome.error) throw new Error(outcome.error);
  return parseAnswer(outcome.data.toString('latin1'));
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
