/**
 * Property-based fuzzing of the gateway's HTTP side over raw TCP, against a real gateway process:
 * generated request lines (odd methods, absolute-form and malformed targets, control bytes, long
 * paths), generated headers (duplicate or bogus Content-Length, Transfer-Encoding oddities, bad
 * Authorization, junk X-Tether-Device-Id) to every route. Properties: the process never dies,
 * and every answer is well-formed HTTP whose JSON errors follow `{error:{code,message}}`.
 *
 * Node's own parser refuses some bytes before any handler runs (a bare 400/413/431 with no
 * content-type and no body, or a dropped CONNECT); those are accepted and told apart by the
 * missing content-type.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startGatewayProcess, type GatewayProcess } from '../helpers/processes.js';
import { fuzzParams, PROTOTYPE_KEYS } from './fuzz-helpers.js';
import { tcpExchange } from './helpers.js';

/** A string, or a long run of one, kept symbolic so a counterexample prints in one line. */
type Part = string | { repeat: string; times: number };
const render = (p: Part): string => (typeof p === 'string' ? p : p.repeat.repeat(p.times));
const long = (unit: string, min: number, max: number): fc.Arbitrary<Part> => fc.integer({ min, max }).map((times) => ({ repeat: unit, times }));

interface RawRequest {
  method: string;
  target: Part;
  version: string;
  headers: [Part, Part][];
  body: string;
  /** Whether to add a Content-Length matching the body (generated ones are added either way). */
  autoLength: boolean;
}

function toBytes(r: RawRequest): Buffer {
  const line = r.version === '' ? `${r.method} ${render(r.target)}` : `${r.method} ${render(r.target)} ${r.version}`;
  const headers = r.headers.map(([name, value]) => `${render(name)}: ${render(value)}\r\n`).join('');
  const length = r.autoLength && r.body !== '' ? `Content-Length: ${Buffer.byteLength(r.body, 'latin1')}\r\n` : '';
  // latin1 so that every generated code unit below 256 goes out as exactly that byte.
  return Buffer.from(`${line}\r\n${headers}${length}\r\n${r.body}`, 'latin1');
}

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const routeArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('/healthz', '/readyz', '/media', '/', '/nope', '/healthz/', '/HEALTHZ', '/media/', '/media/ABC', '/readyz?x=1'),
  hex64.map((id) => `/media/${id}`),
);
const suffixArb = fc.oneof(
  fc.constantFrom('', '', '', '?format=jpg', '?format=png', '?format=mp4', '?format=gif', '?format=', '?format=jpg&format=png', '?%zz', '#x', '%00', '/%2e%2e/', '/../healthz', '?a=%'),
  fc.string({ unit: fc.constantFrom(...'/?#%&=.;:@[]!$\'()*+,~-_aZ09'.split('')), maxLength: 12 }),
);
const hostishArb = fc.string({ unit: fc.constantFrom(...'[]@:%.a0-_~!$&\'()*+,;=/?#'.split('')), maxLength: 10 });
const controlArb = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constantFrom(0x7f, 0x80, 0xa0, 0xff)).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 4 });

const targetArb: fc.Arbitrary<Part> = fc.oneof(
  { arbitrary: fc.tuple(routeArb, suffixArb).map(([route, suffix]) => route + suffix), weight: 6 },
  // Absolute form (RFC 9112 §3.2.2): Node's parser accepts `scheme://anything` as a target.
  { arbitrary: fc.tuple(fc.constantFrom('http', 'https', 'HTTP', 'ws', 'x', 'file'), fc.constantFrom('://', ':/', ':'), hostishArb, fc.oneof(routeArb, fc.constant(''))).map((p) => p.join('')), weight: 3 },
  { arbitrary: fc.constantFrom('*', '//x', '//', '%zz', '/%', '?', '#', '/media/%2e%2e', 'healthz', '\\healthz'), weight: 1 },
  { arbitrary: fc.tuple(routeArb, controlArb).map(([route, bytes]) => route + bytes), weight: 1 },
  { arbitrary: long('a', 1_000, 20_000).map((p) => ({ repeat: `/${render(p)}`, times: 1 })), weight: 1 },
);

const methodArb = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'POST'), weight: 6 },
  { arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'M-SEARCH', 'PURGE', 'QUERY', 'SOURCE', 'get', 'GETT', 'G'), weight: 3 },
  { arbitrary: fc.stringMatching(/^[A-Z-]{1,8}$/), weight: 1 },
);
const versionArb = fc.oneof({ arbitrary: fc.constant('HTTP/1.1'), weight: 8 }, { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'http/1.1', 'HTTP/1.10', ''), weight: 1 });

const headerArb: fc.Arbitrary<[Part, Part]> = fc.oneof(
  fc.tuple(fc.constant('Content-Length'), fc.constantFrom('0', '5', '-1', '1, 1', '99999999999999999999', ' 3', '0x10', '', '1e3', '4294967296')),
  fc.tuple(fc.constant('Transfer-Encoding'), fc.constantFrom('chunked', 'chunked, identity', 'gzip, chunked', 'identity', 'Chunked', ' chunked', 'chunked\u0000', '')),
  fc.tuple(fc.constant('Authorization'), fc.oneof(fc.constantFrom('Bearer x', 'Bearer ', 'Bearer', 'bearer x', 'Basic eA==', 'Bearer \u00ff', 'Bearer a b'), long('A', 200, 9_000).map((p) => ({ repeat: `Bearer ${render(p)}`, times: 1 })))),
  fc.tuple(fc.constant('X-Tether-Device-Id'), fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, '', '../../etc/passwd', '\u00ff', '0'.repeat(64)), hex64, long('a', 100, 9_000))),
  fc.tuple(fc.constantFrom('Expect', 'Connection', 'Content-Type', 'Host', 'Forwarded', 'X-Forwarded-For', 'Accept-Encoding', 'Range'), fc.constantFrom('100-continue', 'close', 'keep-alive', 'application/json', 'x', '', 'bytes=0-', '\u0000')),
  fc.tuple(fc.string({ unit: fc.constantFrom(...'abcXYZ-_:; \u0000\u00ff{}'.split('')), minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 })),
  fc.tuple(fc.constant('X-Big'), long('b', 1_000, 20_000)),
  fc.tuple(fc.constant('X-Fold'), fc.constant('a\r\n b')),
);

const bodyArb = fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 1 }, { arbitrary: fc.constant('0\r\n\r\n'), weight: 1 });
const hostHeader: [Part, Part][] = [['Host', 'gateway']];

/** Bytes Node's parser lets through, so the router and its handlers see the odd parts. */
const plausibleArb: fc.Arbitrary<RawRequest> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'),
  target: targetArb,
  version: fc.constant('HTTP/1.1'),
  headers: fc
    .array(
      fc.oneof(
        fc.tuple(fc.constant('Authorization'), fc.constantFrom('Bearer x', 'Bearer ', 'bearer x', 'Basic eA==', 'Bearer \u00ff', 'Bearer a b')),
        fc.tuple(fc.constant('X-Tether-Device-Id'), fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, '', '../../etc/passwd', '\u00ff', '0'.repeat(64)), hex64)),
        fc.tuple(fc.constantFrom('Content-Type', 'Accept', 'Range', 'Forwarded', 'X-Forwarded-For', 'Origin'), fc.string({ unit: fc.constantFrom(...'abc/=;*-_ .,:'.split('')), maxLength: 12 })),
        fc.tuple(fc.constant('Connection'), fc.constantFrom('close', 'keep-alive')),
      ) as fc.Arbitrary<[Part, Part]>,
      { maxLength: 4 },
    )
    .map((rest) => [...hostHeader, ...rest]),
  body: bodyArb,
  autoLength: fc.constant(true),
});

/** Anything goes: most of these are refused by Node's parser before a handler runs. */
const wildArb: fc.Arbitrary<RawRequest> = fc.record({
  method: methodArb,
  target: targetArb,
  version: versionArb,
  headers: fc.tuple(fc.oneof({ arbitrary: fc.constant(hostHeader), weight: 9 }, { arbitrary: fc.constant([] as [Part, Part][]), weight: 1 }), fc.array(headerArb, { maxLength: 5 })).map(([host, rest]) => [...host, ...rest]),
  body: bodyArb,
  autoLength: fc.boolean(),
});

const requestArb: fc.Arbitrary<RawRequest> = fc.oneof({ arbitrary: plausibleArb, weight: 3 }, { arbitrary: wildArb, weight: 2 });

interface HttpResponse {
  status: number;
  headers: Map<string, string[]>;
  body: Buffer;
  /** A HEAD answer: headers as for GET, no body. */
  head?: boolean;
}

/** Decodes a chunked body starting at `at`; returns the body and where it ended, or why not. */
function readChunked(data: Buffer, at: number): { body: Buffer; end: number } | string {
  const parts: Buffer[] = [];
  for (;;) {
    const eol = data.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return 'unterminated chunk size';
    const size = /^([0-9a-fA-F]+)(;[^\r\n]*)?$/.exec(data.subarray(at, eol).toString('latin1'));
    if (!size) return `bad chunk size ${JSON.stringify(data.subarray(at, eol).toString('latin1'))}`;
    const length = parseInt(size[1]!, 16);
    at = eol + 2;
    if (length === 0) {
      const trailerEnd = data.indexOf('\r\n', at, 'latin1');
      if (trailerEnd !== at) return 'trailers or an unterminated last chunk';
      return { body: Buffer.concat(parts), end: at + 2 };
    }
    if (at + length + 2 > data.length || data.subarray(at + length, at + length + 2).toString('latin1') !== '\r\n') return 'truncated chunk';
    parts.push(data.subarray(at, at + length));
    at += length + 2;
  }
}

/** Splits raw bytes into responses; returns why not when they are not well-formed HTTP/1.1. */
function parseResponses(data: Buffer, firstIsHead: boolean): { responses: HttpResponse[]; error?: string } {
  const responses: HttpResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) return { responses, error: `unterminated response head at byte ${at}` };
    const [statusLine, ...lines] = data.subarray(at, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] ([1-5]\d\d) [^\r\n]*$/.exec(statusLine ?? '');
    if (!match) return { responses, error: `bad status line ${JSON.stringify(statusLine)}` };
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { responses, error: `bad header line ${JSON.stringify(line)}` };
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const status = Number(match[1]);
    at = end + 4;
    let body: Buffer = Buffer.alloc(0);
    // A HEAD answer has no body, unless Node refused the bytes before it knew the method was HEAD
    // (then it is a full error answer): tell them apart by what follows the head.
    const rest = data.subarray(at, at + 5).toString('latin1');
    const head = firstIsHead && status >= 200 && responses.every((r) => r.status < 200) && (rest === '' || rest === 'HTTP/');
    const bodiless = head || status < 200 || status === 204 || status === 304;
    if (!bodiless) {
      if (headers.get('transfer-encoding')?.includes('chunked')) {
        // Node's own answers without a length (e.g. its 400 for a missing Host) come chunked.
        const chunked = readChunked(data, at);
        if (typeof chunked === 'string') return { responses, error: chunked };
        responses.push({ status, headers, body: chunked.body });
        at = chunked.end;
        continue;
      }
      const declared = headers.get('content-length');
      if (declared && (declared.length !== 1 || !/^\d+$/.test(declared[0]!))) return { responses, error: `bad content-length ${declared.join(',')}` };
      const length = declared ? Number(declared[0]) : data.length - at;
      if (at + length > data.length) return { responses, error: `body shorter than content-length ${length}` };
      body = data.subarray(at, at + length);
      at += length;
    }
    responses.push({ status, headers, body, ...(head && { head: true }) });
  }
  return { responses };
}

/** The contract for one response; returns a description of the breach, or undefined. */
function breach(response: HttpResponse): string | undefined {
  const type = response.headers.get('content-type')?.[0];
  if (response.status < 200) return undefined;
  if (type === undefined) {
    // Node's own refusals (parser errors, Expect failures) carry no content-type and no body.
    if (response.status >= 400 && response.body.length === 0) return undefined;
    return `status ${response.status} without a content-type`;
  }
  // The Control UI's page and files (GET / and /ui/<name>) are the one non-JSON answer: only as a 200,
  // and only with the page's strict CSP and nosniff.
  if (/^text\/(html|javascript|css)\b/.test(type) && response.status === 200) {
    const csp = response.headers.get('content-security-policy')?.[0] ?? '';
    return csp.includes("default-src 'none'") && response.headers.get('x-content-type-options')?.[0] === 'nosniff' ? undefined : `Control UI answer without its CSP and nosniff`;
  }
  if (!/^application\/json\b/.test(type)) return `status ${response.status} with content-type ${type}`;
  if (response.head) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    return `status ${response.status}: body is not JSON`;
  }
  if (response.status < 400) return typeof body === 'object' && body !== null ? undefined : 'a 2xx body that is not a JSON object';
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  if (typeof error?.code !== 'string' || error.code === '' || typeof error.message !== 'string') return `status ${response.status}: body is not {error:{code,message}}`;
  // A well-formed 500 still means a handler threw on client input; nothing here may (503 is the
  // honest answer for a store that is down).
  if (response.status === 500) return `status 500 ${error.code}: a handler threw on this input`;
  return undefined;
}

/** One gateway, restarted when a case kills it, so that fast-check can shrink a crash. */
let gateway: GatewayProcess;
const crashes: string[] = [];
let requests = 0;
const started = Date.now();
/** Which answers the run produced ("404 json", "400 node"...), to show the generator reaches the handlers. */
const answers = new Map<string, number>();
const tally = (response: HttpResponse) => {
  const kind = `${response.status} ${response.headers.has('content-type') ? 'json' : 'node'}`;
  answers.set(kind, (answers.get(kind) ?? 0) + 1);
};

async function liveGateway(): Promise<GatewayProcess> {
  if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) {
    gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
  }
  return gateway;
}

/** Alive means: the process has not exited and /healthz answers 200 `{ok:true}`. */
async function assertAlive(g: GatewayProcess, after: string): Promise<void> {
  const probe = await tcpExchange(g.port, Buffer.from('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n'));
  const parsed = parseResponses(probe.data, false);
  const healthy = parsed.responses[0]?.status === 200 && JSON.parse(parsed.responses[0].body.toString()).ok === true;
  if (healthy && g.child.exitCode === null) return;
  await Promise.race([g.exited, new Promise((r) => setTimeout(r, 1_000))]);
  const tail = g.output().split('\n').slice(-12).join('\n');
  crashes.push(tail);
  throw new Error(`the gateway died after ${after} (exit ${String(g.child.exitCode)}); its last output:\n${tail}`);
}

async function checkRequest(r: RawRequest): Promise<void> {
  const g = await liveGateway();
  requests++;
  const bytes = toBytes(r);
  const shown = JSON.stringify(bytes.toString('latin1').slice(0, 200));
  const outcome = await tcpExchange(g.port, bytes);
  await assertAlive(g, `the request ${shown}`);
  expect(outcome.timedOut, `no answer and no close within 5 s for ${shown}`).toBe(false);
  // A CONNECT has no listener, so Node drops the socket without a word; nothing else may.
  if (outcome.data.length === 0 && r.method === 'CONNECT') return;
  expect(outcome.data.length, `empty answer for ${shown}`).toBeGreaterThan(0);
  const parsed = parseResponses(outcome.data, r.method === 'HEAD');
  expect(parsed.error, `malformed answer to ${shown}: ${JSON.stringify(outcome.data.toString('latin1').slice(0, 300))}`).toBeUndefined();
  for (const response of parsed.responses) {
    tally(response);
    expect(breach(response), `answer to ${shown}: ${JSON.stringify(outcome.data.toString('latin1').slice(0, 300))}`).toBeUndefined();
  }
}

beforeAll(async () => {
  gateway = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
});
afterAll(async () => {
  const kinds = [...answers].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind}×${n}`).join(', ');
  console.log(`fuzz-http: ${requests} requests in ${Date.now() - started} ms; answers: ${kinds}; ${crashes.length} gateway crash(es)${crashes[0] ? `, first:\n${crashes[0]}` : ''}`);
  await cleanup();
});

describe('fuzz: HTTP router over raw TCP', () => {
  it('survives every generated request and answers well-formed HTTP with JSON errors', async () => {
    await fc.assert(fc.asyncProperty(requestArb, checkRequest), fuzzParams(5_000, 30_000));
    await assertAlive(await liveGateway(), 'the whole run');
  }, 120_000);
});

// The regressions named by the security review (finding 1) and by this fuzzer, as plain examples.
describe('HTTP edge regressions', () => {
  it.each([
    ['a malformed absolute-form target (review finding 1)', 'GET http://[/ HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an absolute-form target with a bad percent host', 'GET http://%zz/ HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a media upload whose device id is a prototype key', 'POST /media?format=jpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nX-Tether-Device-Id: __proto__\r\nContent-Length: 0\r\n\r\n'],
    ['a media upload whose device id is "constructor"', 'POST /media?format=jpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nX-Tether-Device-Id: constructor\r\nContent-Length: 0\r\n\r\n'],
  ])('stays up and answers JSON for %s', async (_name, text) => {
    const g = await liveGateway();
    const outcome = await tcpExchange(g.port, Buffer.from(text, 'latin1'));
    await assertAlive(g, JSON.stringify(text));
    const parsed = parseResponses(outcome.data, false);
    expect(parsed.error).toBeUndefined();
    expect(parsed.responses).toHaveLength(1);
    expect(parsed.responses[0]!.status).toBeGreaterThanOrEqual(400);
    expect(breach(parsed.responses[0]!)).toBeUndefined();
  });

  it('stays up when a media upload meets a damaged pairing state (review finding 1, second path)', async () => {
    const damaged = await startGatewayProcess({ args: ['--no-local-auto-approve'] });
    writeFileSync(join(damaged.stateDir, 'pairing', 'state.json'), '{ this is not json');
    const text = 'POST /media?format=jpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nX-Tether-Device-Id: abc\r\nContent-Length: 0\r\n\r\n';
    const outcome = await tcpExchange(damaged.port, Buffer.from(text));
    await assertAlive(damaged, 'a media upload with a damaged state file');
    const parsed = parseResponses(outcome.data, false);
    expect(parsed.responses[0]?.status).toBeGreaterThanOrEqual(400);
    expect(breach(parsed.responses[0]!)).toBeUndefined();
  });

  it('the checker itself refuses a non-JSON error and a broken status line (it can fail)', () => {
    const html = parseResponses(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nbad'), false);
    expect(breach(html.responses[0]!)).toMatch(/text\/html/);
    expect(parseResponses(Buffer.from('HTTP/1.1 4000 X\r\n\r\n'), false).error).toMatch(/status line/);
    expect(breach(parseResponses(Buffer.from('HTTP/1.1 404 N\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'), false).responses[0]!)).toMatch(/error/);
  });
});
