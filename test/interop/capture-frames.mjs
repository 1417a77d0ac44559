#!/usr/bin/env node
/**
 * A WebSocket man-in-the-middle for capturing wire frames between a client and a gateway, so the
 * frames a real peer sends can become unit-test fixtures (test/fixtures/openclaw/).
 *
 *   node test/interop/capture-frames.mjs --listen <port> --upstream ws://127.0.0.1:<port> --out frames.jsonl
 *
 * Listens on 127.0.0.1 only. Every text frame is forwarded unchanged in both directions, and appended
 * to the JSONL file as {ts, conn, dir, frame} where dir is "client->gateway" or "gateway->client" and
 * frame is the parsed JSON (or {"raw": text} when it is not JSON). Opens and closes are recorded too.
 * Secrets are redacted in the file (never on the wire): every string under a key named token,
 * deviceToken, bootstrapToken, password, …Token, and every `signature`. `--keep-signatures` keeps
 * device signatures (only if a test must re-verify one; prefer the known-answer vector instead).
 * `--listen 0` picks a free port; the chosen one is printed as {"event":"listening","port":…}.
 */
import { appendFileSync } from 'node:fs';
import { WebSocket, WebSocketServer } from 'ws';

function parseArgs(argv) {
  const args = { listen: 0, upstream: undefined, out: undefined, keepSignatures: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--listen') args.listen = Number(argv[++i]);
    else if (arg === '--upstream') args.upstream = argv[++i];
    else if (arg === '--out') args.out = argv[++i];
    else if (arg === '--keep-signatures') args.keepSignatures = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else throw new Error(`unknown argument: ${arg}`);
  }
  return args;
}

const REDACTED = '<redacted>';
const SECRET_KEY = /^(token|password|secret)$|token$/i;

/** A copy of `value` with secrets replaced. Only string values are replaced, so shapes stay real. */
export function redact(value, options = {}) {
  if (Array.isArray(value)) return value.map((item) => redact(item, options));
  if (typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' && SECRET_KEY.test(key)) out[key] = REDACTED;
    else if (typeof item === 'string' && key === 'signature' && !options.keepSignatures) out[key] = REDACTED;
    else out[key] = redact(item, options);
  }
  return out;
}

/** Close codes a peer may not send itself (1005, 1006, 1015) become 1000/1011 when relayed. */
function relayableCode(code) {
  if (code === 1005) return 1000;
  if (code === 1006 || code === 1015 || !(code >= 1000 && code < 5000) || (code >= 1004 && code <= 1006)) return 1011;
  return code;
}

export function startCapture({ listen = 0, upstream, out, keepSignatures = false, host = '127.0.0.1', onListening }) {
  if (!upstream) throw new Error('--upstream ws://127.0.0.1:<port> is required');
  if (!out) throw new Error('--out <file.jsonl> is required');
  let connCounter = 0;
  const record = (entry) => appendFileSync(out, `${JSON.stringify({ ts: Date.now(), ...entry })}\n`);
  const server = new WebSocketServer({ host, port: listen, maxPayload: 64 * 1024 * 1024 });

  server.on('listening', () => {
    const { port } = server.address();
    onListening?.(port);
  });

  server.on('connection', (client, request) => {
    const conn = ++connCounter;
    const path = request.url ?? '/';
    const target = new URL(path, upstream).toString();
    record({ conn, dir: 'open', path, upstream: target });
    // No forwarding headers: to the gateway this is a plain loopback client, like the real one.
    const gateway = new WebSocket(target, { maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });
    const queued = [];

    const log = (dir, data, isBinary) => {
      if (isBinary) {
        record({ conn, dir, binary: true, bytes: data.length });
        return;
      }
      const text = data.toString();
      let frame;
      try {
        frame = redact(JSON.parse(text), { keepSignatures });
      } catch {
        frame = { raw: text };
      }
      record({ conn, dir, frame });
    };

    client.on('message', (data, isBinary) => {
      log('client->gateway', data, isBinary);
      if (gateway.readyState === WebSocket.OPEN) gateway.send(data, { binary: isBinary });
      else queued.push([data, isBinary]);
    });
    gateway.on('open', () => {
      for (const [data, isBinary] of queued.splice(0)) gateway.send(data, { binary: isBinary });
    });
    gateway.on('message', (data, isBinary) => {
      log('gateway->client', data, isBinary);
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });

    let closed = false;
    const closeBoth = (by, code, reason) => {
      if (closed) return;
      closed = true;
      record({ conn, dir: 'close', by, code, reason: reason.toString() });
      const other = by === 'client' ? gateway : client;
      if (other.readyState === WebSocket.OPEN) other.close(relayableCode(code), reason.toString().slice(0, 123));
      else if (other.readyState === WebSocket.CONNECTING) other.terminate();
      setTimeout(() => other.terminate(), 2_000).unref();
    };
    client.on('close', (code, reason) => closeBoth('client', code, reason));
    gateway.on('close', (code, reason) => closeBoth('gateway', code, reason));
    gateway.on('error', (error) => {
      record({ conn, dir: 'error', by: 'gateway', message: error.message });
      closeBoth('gateway', 1011, Buffer.from('upstream error'));
    });
    client.on('error', (error) => record({ conn, dir: 'error', by: 'client', message: error.message }));
  });

  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write('usage: capture-frames.mjs --listen <port> --upstream ws://127.0.0.1:<port> --out file.jsonl [--keep-signatures]\n');
    process.exit(0);
  }
  const server = startCapture({
    ...args,
    onListening: (port) => process.stdout.write(`${JSON.stringify({ event: 'listening', port, upstream: args.upstream, out: args.out })}\n`),
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
