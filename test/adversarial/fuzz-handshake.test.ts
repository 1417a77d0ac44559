/**
 * Property-based fuzzing of the connect handshake against a real gateway process (token auth,
 * loopback auto-approval off). One operator device is paired for `operator.read` only; every case
 * starts from its valid signed connect (built by the protocol package's own `buildConnectParams`)
 * and damages it: proof fields, claims, types, sizes, extra fields, raw text and binary frames,
 * frames before and after connect.
 *
 * The "admitted" oracle is independent of the gateway: a hello-ok is legitimate only if tweetnacl
 * verifies the signature over the v3 (or v2) payload rebuilt from what was sent, the nonce is the
 * challenge's, the id is sha256 of the key, signedAt is fresh, and an operator gets at most the
 * scopes it signed for and was approved for, on the paired key.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_SCOPES, parseFrame, type ConnectChallenge, type DeviceSigner } from '@tether/protocol';
import { loadOrCreateIdentity } from '@tether/pairing';
import { buildConnectParams } from '../../protocol/src/client/connect-params.js';
import { connectOperator } from '../helpers/clients.js';
import { cleanup, startGatewayProcess, tempDir, type GatewayProcess } from '../helpers/processes.js';
import {
  applyEdits,
  applyTextEdit,
  ALL_FIELD_MUTATIONS,
  buildValue,
  fieldMutationArb,
  fuzzParams,
  jsonEditArb,
  mutateConnect,
  nastyValueArb,
  PROTOTYPE_KEYS,
  textEditArb,
  wsExchange,
  type EditValue,
  type FieldMutation,
  type Json,
  type WsOutcome,
  type WsSend,
} from './fuzz-helpers.js';
import { tcpExchange } from './helpers.js';

const APPROVED = ['operator.read'];
const CLIENT = { id: 'test', mode: 'test', version: 'fuzz', platform: 'linux', deviceFamily: 'Linux', displayName: 'fuzz-operator' };
const SKEW_MS = 120_000;

interface Mesh {
  gateway: GatewayProcess;
  paired: DeviceSigner;
  pairedRaw: Buffer;
  /** Rotates when a case presents a wrong token with a valid key; kept current from each hello-ok. */
  deviceToken: string;
  methods: string[];
  /**
   * The one key the held-node sessions use. The gateway caps unknown devices per address (16), and the
   * connect fuzz alone sends hundreds of fresh keys from 127.0.0.1; a device that already waits may
   * always retry, so this key asks once at setup and is held on every session after.
   */
  heldNode: DeviceSigner;
}


/** A string as a WebSocket text frame carries it: UTF-8, lone surrogates replaced by U+FFFD. */
function onTheWire(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function memorySigner(): DeviceSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { deviceId: createHash('sha256').update(raw).digest('hex'), publicKey: raw.toString('base64url'), sign: (p) => sign(null, Buffer.from(p, 'utf8'), privateKey).toString('base64url') };
}

/** A second key pair whose material field mutations borrow (a real key, just not this device's). */
const OTHER = memorySigner();

interface Claims {
  role?: string;
  scopes?: string[];
  client?: Partial<typeof CLIENT>;
  deviceToken?: string;
  token?: string;
}

/** A connect exactly as the real client builds it, for `signer` and the claims given. */
function connectFrame(signer: DeviceSigner, challenge: ConnectChallenge, deviceToken: string | undefined, claims: Claims = {}): Json {
  const params = buildConnectParams(
    { url: 'ws://fuzz', client: { ...CLIENT, ...claims.client }, role: (claims.role ?? 'operator') as 'operator', scopes: claims.scopes ?? APPROVED, identity: signer, ...(claims.token !== undefined && { token: claims.token }) },
    claims.deviceToken ?? deviceToken,
    challenge,
  );
  return JSON.parse(JSON.stringify({ type: 'req', id: 'fuzz-1', method: 'connect', params })) as Json;
}

const helloOf = (messages: string[]) => messages.map((m) => JSON.parse(m) as Record<string, any>).find((f) => f.type === 'res' && f.ok === true);
const answered = (messages: string[]) => messages.some((m) => (JSON.parse(m) as { type?: string }).type === 'res');

async function pairOperator(gateway: GatewayProcess): Promise<Mesh> {
  const paired = loadOrCreateIdentity({ dir: join(tempDir('tether-fuzz-id-'), 'identity') });
  const first = await wsExchange(gateway.url, (ch) => [JSON.stringify(connectFrame(paired, ch, undefined))], { stopWhen: answered });
  const refusal = JSON.parse(first.messages[0] ?? '{}') as { error?: { details?: { requestId?: string } } };
  const requestId = refusal.error?.details?.requestId;
  if (!requestId) throw new Error(`expected a pairing request, got ${first.messages.join(' ')}`);
  const admin = await connectOperator(gateway.url, gateway.stateDir);
  await admin.request('device.pair.approve', { requestId });
  await admin.close();
  const second = await wsExchange(gateway.url, (ch) => [JSON.stringify(connectFrame(paired, ch, undefined))], { stopWhen: answered });
  const hello = helloOf(second.messages);
  if (!hello?.payload?.auth?.deviceToken) throw new Error(`expected hello-ok with a device token, got ${second.messages.join(' ')}`);
  const pairedRaw = Buffer.from(paired.publicKey, 'base64url');
  const heldNode = memorySigner();
  const held = await wsExchange(gateway.url, (ch) => [JSON.stringify(connectFrame(heldNode, ch, undefined, { role: 'node', scopes: [], client: { id: 'node-host', mode: 'node' } }))], { stopWhen: answered });
  if (!helloOf(held.messages)) throw new Error(`expected the held node to be held, got ${held.messages.join(' ')}`);
  return { gateway, paired, pairedRaw, deviceToken: hello.payload.auth.deviceToken, methods: hello.payload.features.methods, heldNode };
}

/** ASCII-only lowercase after trimming (reference §2.3), written here again on purpose. */
const norm = (v: unknown) => (typeof v === 'string' ? v.trim().replace(/[A-Z]/g, (c) => c.toLowerCase()) : '');

function decodeKey(text: string): Buffer | undefined {
  if (text.trim().startsWith('-----BEGIN')) {
    try {
      const der = createPublicKey(text.trim()).export({ format: 'der', type: 'spki' });
      return der.length === 44 ? der.subarray(12) : undefined;
    } catch {
      return undefined;
    }
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text.trim())) return undefined;
  const raw = Buffer.from(text.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return raw.length === 32 ? raw : undefined;
}

type Proof = { ok: true; role: string; scopes: string[]; key: Buffer; canonicalSignature: boolean } | { ok: false; why: string };

/** What the sent connect independently proves, judged without any gateway code. */
function proofOf(sent: unknown, challenge: ConnectChallenge): Proof {
  const p = (sent as { params?: Record<string, any> } | null)?.params;
  const d = p?.device;
  if (!d || typeof d !== 'object') return { ok: false, why: 'no device block' };
  if (![d.id, d.publicKey, d.signature, d.nonce].every((v) => typeof v === 'string') || typeof d.signedAt !== 'number') return { ok: false, why: 'device fields of the wrong type' };
  const key = decodeKey(d.publicKey);
  if (!key) return { ok: false, why: 'undecodable key' };
  if (createHash('sha256').update(key).digest('hex') !== d.id) return { ok: false, why: 'id is not sha256(key)' };
  if (d.nonce !== challenge.nonce) return { ok: false, why: 'nonce is not the challenge nonce' };
  // A little slack: the gateway judged freshness a moment before we do.
  if (Math.abs(Date.now() - d.signedAt) > SKEW_MS + 5_000) return { ok: false, why: 'stale signedAt' };
  const role = p.role ?? 'operator';
  const scopes: unknown = p.scopes ?? [];
  if (typeof role !== 'string' || !Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return { ok: false, why: 'claims of the wrong type' };
  const auth = p.auth ?? {};
  const token = auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? '';
  const v2 = ['v2', d.id, p.client?.id, p.client?.mode, role, scopes.join(','), String(d.signedAt), token, d.nonce].join('|');
  const v3 = [v2.replace(/^v2\|/, 'v3|'), norm(p.client?.platform), norm(p.client?.deviceFamily)].join('|');
  const signature = Buffer.from(d.signature.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (signature.length !== 64) return { ok: false, why: 'signature is not 64 bytes' };
  const verifies = (payload: string) => nacl.sign.detached.verify(new Uint8Array(Buffer.from(payload, 'utf8')), new Uint8Array(signature), new Uint8Array(key));
  if (!verifies(v3) && !verifies(v2)) return { ok: false, why: 'tweetnacl rejects the signature' };
  const canonicalSignature = /^[A-Za-z0-9_-]{86}$/.test(d.signature) && signature.toString('base64url') === d.signature;
  return { ok: true, role, scopes: scopes as string[], key, canonicalSignature };
}

const CLOSE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013]);
const validClose = (code: number) => CLOSE_CODES.has(code) || (code >= 3000 && code <= 4999);

const stats = new Map<string, number>();
const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);
let nonCanonicalAdmitted: string | undefined;

/**
 * Every breach of the handshake's contract in one exchange (empty when it held). `sent` is the
 * first frame as JSON when it was JSON.
 */
function breaches(outcome: WsOutcome & { challenge?: ConnectChallenge }, sent: unknown, mesh: Mesh, framesSent = 1): string[] {
  const found: string[] = [];
  if (outcome.timedOut) return ['neither an answer nor a close within 5 s'];
  if (!outcome.challenge) return [`no challenge (${outcome.errors.join('; ')})`];
  const frames: Record<string, any>[] = [];
  for (const text of outcome.messages) {
    try {
      frames.push(JSON.parse(text) as Record<string, any>);
    } catch {
      found.push(`a message that is not JSON: ${text.slice(0, 120)}`);
    }
  }
  const responses = frames.filter((f) => f.type === 'res');
  if (responses.length > framesSent) found.push(`${responses.length} responses to ${framesSent} frame(s)`);
  const res = responses[0];
  if (res?.ok === true) {
    const auth = res.payload?.auth ?? {};
    count(`hello-ok ${auth.role} [${(auth.scopes ?? []).join(',')}]`);
    const proof = outcome.challenge ? proofOf(sent, outcome.challenge) : ({ ok: false, why: 'no challenge' } as const);
    if (!proof.ok) return [...found, `admitted as ${auth.role} [${auth.scopes}] without a valid proof: ${proof.why}`];
    if (!proof.canonicalSignature) nonCanonicalAdmitted ??= (sent as { params: { device: { signature: string } } }).params.device.signature;
    if (auth.role !== proof.role) found.push(`admitted as ${auth.role} but signed for ${proof.role}`);
    const scopes: string[] = auth.scopes ?? [];
    if (auth.role === 'operator') {
      if (!proof.key.equals(mesh.pairedRaw)) found.push(`an operator admitted on a key nobody approved`);
      const unproven = scopes.filter((s) => !APPROVED.includes(s) || !proof.scopes.includes(s));
      if (unproven.length > 0) found.push(`operator granted scopes it did not prove or was not approved for: ${unproven.join(',')}`);
      if (auth.deviceToken && proof.key.equals(mesh.pairedRaw)) mesh.deviceToken = auth.deviceToken;
    } else if (auth.role === 'node') {
      if (scopes.length > 0) found.push(`a node granted scopes ${scopes.join(',')}`);
    } else found.push(`admitted with an unknown role ${String(auth.role)}`);
    return found;
  }
  if (res) {
    const e = res.error;
    count(`refused ${e?.details?.code ?? e?.code}`);
    if (res.ok !== false || typeof e?.code !== 'string' || typeof e.message !== 'string' || typeof e.details?.code !== 'string') {
      found.push(`a malformed refusal: ${JSON.stringify(res).slice(0, 300)}`);
    }
    // `sent` is the frame as the gateway decoded it (see framesFor), so the ids must match exactly.
    const sentId = (sent as { id?: unknown } | null)?.id;
    if (typeof sentId === 'string' && res.id !== sentId) found.push(`refusal for id ${JSON.stringify(res.id)}, sent ${JSON.stringify(sentId)}`);
  } else count(`closed ${outcome.close?.code} ${outcome.close?.reason.slice(0, 40)}`);
  if (!outcome.close) found.push('a refusal without a close');
  else if (!validClose(outcome.close.code)) found.push(`closed with code ${outcome.close.code} (${outcome.close.reason})`);
  return found;
}

type ConnectCase =
  | { kind: 'valid' }
  | { kind: 'fields'; mutations: FieldMutation[] }
  | { kind: 'edits'; edits: Parameters<typeof applyEdits>[1]; text: Parameters<typeof applyTextEdit>[1] }
  | { kind: 'resign'; key: 'paired' | 'fresh'; claims: Claims; token: 'real' | 'none' | 'wrong' }
  | { kind: 'raw'; before: JunkFrame[]; connect: boolean; after: JunkFrame[] };

const scopesArb = fc.oneof(fc.subarray([...OPERATOR_SCOPES]), fc.array(fc.constantFrom('operator.read', 'operator.admin', 'operator.read ', 'OPERATOR.READ', 'node', ''), { maxLength: 3 }));
/** A junk frame; oversize ones are described (`{ oversize: n }`) so counterexamples stay short. */
type JunkFrame = WsSend | { oversize: number };
const renderJunk = (f: JunkFrame): WsSend => (typeof f === 'object' && 'oversize' in f ? JSON.stringify({ type: 'req', id: 'big', method: 'connect', params: { pad: 'x'.repeat(f.oversize) } }) : f);
const junkFrameArb: fc.Arbitrary<JunkFrame> = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 40 }).map((binary) => ({ binary })),
  fc.constantFrom('{"type":"req","id":"x","method":"node.list","params":{}}', '{"type":"event","event":"tick"}', '{"type":"res","id":"1","ok":true}', 'null', '[]', '{}', '{"type":"req","id":"","method":"connect"}'),
  fc.record({ oversize: fc.integer({ min: 64 * 1024, max: 80 * 1024 }) }),
);

const connectCaseArb: fc.Arbitrary<ConnectCase> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'valid' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('fields' as const), mutations: fc.array(fieldMutationArb, { minLength: 1, maxLength: 3 }) }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('edits' as const),
      edits: fc.array(jsonEditArb, { minLength: 1, maxLength: 3 }),
      // Mostly JSON-level damage: broken text is cheap to refuse and says little about admission.
      text: fc.oneof({ arbitrary: fc.constant({ op: 'none' as const, at: 0, text: '' }), weight: 3 }, { arbitrary: textEditArb, weight: 1 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('resign' as const),
      key: fc.constantFrom('paired' as const, 'paired' as const, 'paired' as const, 'fresh' as const),
      claims: fc.record(
        { role: fc.constantFrom('operator', 'node', 'admin', 'Operator'), scopes: scopesArb, client: fc.record({ id: fc.constantFrom('test', 'cli', 'node-host'), mode: fc.constantFrom('test', 'cli', 'node'), platform: fc.constantFrom('linux', 'LINUX', ' linux ', 'macos') }, { requiredKeys: [] }), token: fc.constantFrom('not-the-shared-token-but-long-enough') },
        { requiredKeys: [] },
      ),
      token: fc.constantFrom('real' as const, 'none' as const, 'wrong' as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('raw' as const), before: fc.array(junkFrameArb, { maxLength: 2 }), connect: fc.boolean(), after: fc.array(junkFrameArb, { maxLength: 2 }) }), weight: 2 },
);

/**
 * The JSON a text frame carries as the gateway decodes it: a lone surrogate written raw crosses UTF-8
 * as U+FFFD, while one JSON.stringify escaped (`\\ud800`) arrives as itself.
 */
function asDecoded(text: string): unknown {
  try {
    return JSON.parse(onTheWire(text));
  } catch {
    return undefined;
  }
}

/** The frames one case sends, and the first of them as the gateway decodes it (what the oracle judges). */
function framesFor(c: ConnectCase, mesh: Mesh, challenge: ConnectChallenge): { frames: WsSend[]; sent: unknown } {
  const base = connectFrame(mesh.paired, challenge, mesh.deviceToken);
  const one = (text: string) => ({ frames: [text], sent: asDecoded(text) });
  if (c.kind === 'valid') return one(JSON.stringify(base));
  if (c.kind === 'fields') return one(JSON.stringify(c.mutations.reduce((frame, m) => mutateConnect(frame, m, { challenge, other: OTHER }), base)));
  if (c.kind === 'edits') return one(applyTextEdit(JSON.stringify(applyEdits(base, c.edits)), c.text));
  if (c.kind === 'resign') {
    const signer = c.key === 'paired' ? mesh.paired : memorySigner();
    const deviceToken = c.token === 'real' ? mesh.deviceToken : c.token === 'wrong' ? `${mesh.deviceToken}x` : undefined;
    return one(JSON.stringify(connectFrame(signer, challenge, undefined, { ...c.claims, ...(deviceToken !== undefined && { deviceToken }) })));
  }
  const frames = [...c.before.map(renderJunk), ...(c.connect ? [JSON.stringify(base)] : []), ...c.after.map(renderJunk)];
  if (frames.length === 0) frames.push('');
  const first = frames[0]!;
  return { frames, sent: typeof first === 'string' ? asDecoded(first) : undefined };
}

/*
 * Frames after a successful connect, from the two sessions a stranger or a weak credential can
 * get: the paired read-only operator, and a node held while its pairing waits (any fresh key).
 */
type Deep = { deep: number };
type SessionFrame = { req: string; params: EditValue | Deep | null } | { junk: JunkFrame };
/** Params as JSON text: deep nesting is written directly, since JSON.stringify would overflow on it. */
const paramsText = (p: EditValue | Deep | null): string | undefined => {
  if (p === null) return undefined;
  if (typeof p === 'object' && !Array.isArray(p) && 'deep' in p && typeof p.deep === 'number') return '['.repeat(p.deep) + ']'.repeat(p.deep);
  return JSON.stringify(buildValue(p as EditValue));
};
const idArb = fc.constantFrom(...PROTOTYPE_KEYS, 'x', '0'.repeat(64), OTHER.deviceId);
// Methods have closed param schemas: mostly send the one or two fields they take, with hostile values.
const paramsArb: fc.Arbitrary<EditValue | Deep | null> = fc.oneof(
  fc.constantFrom<EditValue | null>(null, {}),
  fc.record({ nodeId: idArb }),
  fc.record({ requestId: idArb }),
  fc.record({ deviceId: idArb }),
  fc.record({ deviceId: idArb, role: fc.constantFrom('node', 'operator', '__proto__') }),
  fc.record({ nodeId: idArb, command: fc.constantFrom('system.run', 'camera.snap', '__proto__'), params: nastyValueArb, idempotencyKey: fc.string({ maxLength: 8 }) }) as fc.Arbitrary<EditValue>,
  nastyValueArb,
  fc.record({ deep: fc.integer({ min: 1_000, max: 20_000 }) }),
);
const sessionCaseArb = fc.record({
  as: fc.constantFrom('operator' as const, 'held-node' as const),
  frames: fc.array(
    fc.oneof(
      {
        // `#n` picks the n-th method the gateway announced in hello-ok.
        arbitrary: fc.record({ req: fc.oneof({ arbitrary: fc.nat().map((i) => `#${i}`), weight: 4 }, { arbitrary: fc.constantFrom('connect', 'nope', ...PROTOTYPE_KEYS), weight: 1 }), params: paramsArb }) as fc.Arbitrary<SessionFrame>,
        weight: 4,
      },
      { arbitrary: fc.record({ junk: junkFrameArb }), weight: 1 },
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

async function runSession(c: { as: 'operator' | 'held-node'; frames: SessionFrame[] }): Promise<string[]> {
  const m = await liveMesh();
  connects++;
  const found: string[] = [];
  /** Ids still owed an answer, one entry per request sent (a junk frame may repeat an id). */
  const pending: string[] = [];

  let expectClose = false;
  let sentAll = false;
  const sentById = new Map<string, string>();
  const outcome = await wsExchange(
    m.gateway.url,
    (challenge) => [JSON.stringify(c.as === 'operator' ? connectFrame(m.paired, challenge, m.deviceToken) : connectFrame(m.heldNode, challenge, undefined, { role: 'node', scopes: [], client: { id: 'node-host', mode: 'node' } }))],
    {
      timeoutMs: 8_000,
      onReady: (messages, send) => {
        if (messages.length > 1) {
          const last = JSON.parse(messages[messages.length - 1]!) as { type?: string; id?: string };
          const at = last.type === 'res' && last.id !== undefined ? pending.indexOf(last.id) : -1;
          if (at >= 0) pending.splice(at, 1);
          else if (last.type === 'res') found.push(`an answer nobody asked for: ${messages[messages.length - 1]!.slice(0, 200)}`);
          return;
        }
        if (!helloOf(messages)) return;
        sentAll = true;
        c.frames.forEach((f, i) => {
          if ('junk' in f) {
            const frame = renderJunk(f.junk);
            // A valid request is answered, a valid `res`/`event` from a client is ignored, and
            // anything else ends the session.
            const parsed = typeof frame === 'string' ? parseFrame(frame) : undefined;
            if (!parsed?.ok) expectClose = true;
            else if (parsed.frame.type === 'req') pending.push(onTheWire(parsed.frame.id));
            return send(frame);
          }
          const method = f.req.startsWith('#') ? m.methods[Number(f.req.slice(1)) % m.methods.length]! : f.req;
          const id = `r${i}`;
          pending.push(id);
          const params = paramsText(f.params);
          const head = JSON.stringify({ type: 'req', id, method });
          const text = params === undefined ? head : `${head.slice(0, -1)},"params":${params}}`;
          sentById.set(id, text.slice(0, 160));
          send(text);
        });
      },
      stopWhen: () => sentAll && !expectClose && pending.length === 0,
    },
  );
  await assertAlive(m.gateway, JSON.stringify(c).slice(0, 300));
  if (!helloOf(outcome.messages)) return [`the session did not start: ${outcome.messages.join(' ').slice(0, 200)}`];
  for (const text of outcome.messages.slice(1)) {
    const f = JSON.parse(text) as Record<string, any>;
    if (f.type !== 'res') continue;
    count(`session ${c.as} ${f.ok ? 'ok' : f.error?.details?.code ?? f.error?.code}`);
    if (typeof f.ok !== 'boolean' || (!f.ok && (typeof f.error?.code !== 'string' || typeof f.error?.message !== 'string'))) found.push(`malformed res ${text.slice(0, 200)}`);
    // INTERNAL means a handler threw on this input: answered, but a bug all the same.
    if (f.error?.details?.code === 'INTERNAL') found.push(`internal error: sent ${sentById.get(f.id) ?? f.id}, got ${text.slice(0, 200)}`);
  }
  if (outcome.timedOut) found.push(`no close and ${pending.length} unanswered request(s) after 8 s`);
  else if (expectClose && outcome.close?.code !== 1008) found.push(`an invalid frame closed with ${outcome.close?.code} instead of 1008`);
  else if (!expectClose && pending.length > 0) found.push(`${pending.length} request(s) never answered; closed ${outcome.close?.code} ${outcome.close?.reason}`);
  return found;
}


let mesh: Mesh;
let connects = 0;
const started = Date.now();

async function liveMesh(): Promise<Mesh> {
  if (mesh.gateway.child.exitCode !== null || mesh.gateway.child.signalCode !== null) {
    mesh = await pairOperator(await startGatewayProcess({ args: ['--no-local-auto-approve'] }));
  }
  return mesh;
}

async function assertAlive(g: GatewayProcess, after: string): Promise<void> {
  const probe = await tcpExchange(g.port, Buffer.from('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n'));
  if (probe.data.toString('latin1').startsWith('HTTP/1.1 200') && g.child.exitCode === null) return;
  await Promise.race([g.exited, new Promise((r) => setTimeout(r, 1_000))]);
  throw new Error(`the gateway died after ${after}; its last output:\n${g.output().split('\n').slice(-12).join('\n')}`);
}

async function runCase(c: ConnectCase): Promise<string[]> {
  const m = await liveMesh();
  connects++;
  let sent: unknown;
  let framesSent = 1;
  const outcome = await wsExchange(
    m.gateway.url,
    (challenge) => {
      const built = framesFor(c, m, challenge);
      sent = built.sent;
      framesSent = built.frames.length;
      return built.frames;
    },
    { stopWhen: (messages) => helloOf(messages) !== undefined },
  );
  await assertAlive(m.gateway, JSON.stringify(c).slice(0, 300));
  const found = breaches(outcome, sent, m, framesSent);
  // Without this the whole property could pass vacuously, e.g. if the pairing were lost.
  if (c.kind === 'valid' && helloOf(outcome.messages)?.payload?.auth?.scopes?.join() !== APPROVED.join()) found.push('the unmutated connect was not admitted with its approved scopes');
  return found;
}

beforeAll(async () => {
  mesh = await pairOperator(await startGatewayProcess({ args: ['--no-local-auto-approve'] }));
});
afterAll(async () => {
  const kinds = [...stats].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join('; ');
  console.log(`fuzz-handshake: ${connects} connects in ${Date.now() - started} ms; ${kinds}${nonCanonicalAdmitted ? `; admitted a non-canonical signature string, e.g. ${nonCanonicalAdmitted}` : ''}`);
  await cleanup();
});

describe('fuzz: connect handshake against a real gateway', () => {
  it('implements every field mutation, and each one changes the frame', () => {
    const base = connectFrame(mesh.paired, { nonce: 'n', ts: Date.now() }, mesh.deviceToken);
    for (const m of ALL_FIELD_MUTATIONS) {
      expect(JSON.stringify(mutateConnect(base, m, { challenge: { nonce: 'n', ts: 1 }, other: OTHER })), `${m.field}:${m.how}`).not.toBe(JSON.stringify(base));
    }
  });

  it('positive controls: the detector sees a real admission, and flags one beyond the proof', async () => {
    expect(await runCase({ kind: 'valid' })).toEqual([]);
    const plain = await wsExchange(mesh.gateway.url, (ch) => [JSON.stringify(connectFrame(mesh.paired, ch, mesh.deviceToken))], { stopWhen: (messages) => helloOf(messages) !== undefined });
    expect(helloOf(plain.messages)?.payload.auth).toMatchObject({ role: 'operator', scopes: APPROVED });
    // The owner's shared token admits `operator.admin` with no device proof at all: exactly what
    // a fuzzed connect must never get, so the detector has to flag this real hello-ok.
    let sent: unknown;
    const admin = await wsExchange(
      mesh.gateway.url,
      (ch) => {
        const token = readFileSync(join(mesh.gateway.stateDir, 'gateway.token'), 'utf8').trim();
        const frame = connectFrame(memorySigner(), ch, undefined, { scopes: ['operator.admin'], token });
        delete (frame as { params: { device?: unknown } }).params.device;
        sent = frame;
        return [JSON.stringify(frame)];
      },
      { stopWhen: (messages) => helloOf(messages) !== undefined },
    );
    expect(helloOf(admin.messages)?.payload.auth.scopes).toEqual(['operator.admin']);
    expect(breaches(admin, sent, mesh).join(' ')).toMatch(/without a valid proof/);
  });

  it('admits no mutated connect beyond its proof, answers every one well-formed, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(connectCaseArb, async (c) => {
        expect((await runCase(c)).join('\n'), JSON.stringify(c).slice(0, 400)).toBe('');
      }),
      fuzzParams(1_500, 20_000),
    );
    await assertAlive((await liveMesh()).gateway, 'the whole run');
  }, 120_000);

  // Found by the property below: PairingStore.getPaired looks ids up on a plain object, so
  // "__proto__" finds Object.prototype and node.describe throws on `.roles.includes`.
  it('example: node.describe of a prototype-key nodeId is an unknown node, not an internal error', async () => {
    const found = await runSession({ as: 'operator', frames: PROTOTYPE_KEYS.map((nodeId) => ({ req: `#${mesh.methods.indexOf('node.describe')}`, params: { nodeId } })) });
    expect(found.join('\n')).toBe('');
  });

  it('answers every request after connect, closes on bad frames, and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(sessionCaseArb, async (c) => {
        expect((await runSession(c)).join('\n'), JSON.stringify(c).slice(0, 400)).toBe('');
      }),
      fuzzParams(1_000, 15_000),
    );
    await assertAlive((await liveMesh()).gateway, 'the whole run');
  }, 120_000);
});
