// The embedded agent's numbers: the gateway's own time per tool round, time to first streamed token
// through the gateway against straight from the model, and gateway RSS with 100 idle sessions.
// The model is test/helpers/scripted-model.ts, bundled here at bench time with esbuild (never
// copied); its `node:http` is bench/lib/timed-http.mjs, which timestamps every request it serves.
// The node is a bench client in this process that answers every invoke at once and timestamps it.
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { GatewayClient } from '../../protocol/dist/index.js';
import { loadOrCreateIdentity } from '../../pairing/dist/index.js';
import { operatorClient } from './load.mjs';
import { makeTempDir, readCpuMs, readMachineCpuMs, readRss } from './procs.mjs';
import { median, percentile, round } from './stats.mjs';
import { served } from './timed-http.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const TIMED_HTTP = new URL('./timed-http.mjs', import.meta.url).pathname;
const OK = JSON.stringify({ exitCode: 0, timedOut: false, success: true, stdout: 'ok', stderr: '', error: null });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bundles and starts the scripted model; its served-request log is `served` (timed-http.mjs). */
export async function startBenchModel() {
  const outfile = join(makeTempDir('model'), 'scripted-model.mjs');
  const timedHttp = {
    name: 'timed-http',
    setup(b) {
      b.onResolve({ filter: /^(node:)?http$/ }, () => ({ path: TIMED_HTTP, external: true }));
    },
  };
  await build({ entryPoints: [join(ROOT, 'test/helpers/scripted-model.ts')], bundle: true, platform: 'node', format: 'esm', outfile, plugins: [timedHttp], logLevel: 'error' });
  const { startScriptedModel, reply } = await import(outfile);
  const model = await startScriptedModel();
  return { model, reply };
}

/** A node (shared token, so it pairs silently) declaring system.run and answering every invoke at once. */
export async function startInstantNode(url, token) {
  const invokes = []; // [{ startMs, endMs }]: event received → result frame sent
  let client;
  client = new GatewayClient({
    url,
    token,
    role: 'node',
    identity: loadOrCreateIdentity({ dir: makeTempDir('agent-node') }),
    commands: ['system.run'],
    userAgent: 'tether-node/bench',
    client: { id: 'node-host', mode: 'node', version: 'bench', platform: 'linux', deviceFamily: 'Linux', displayName: 'bench-agent-node' },
    connectTimeoutMs: 10_000,
    onEvent: (event, payload) => {
      if (event !== 'node.invoke.request') return;
      const startMs = performance.now();
      const reply = client.request('node.invoke.result', { id: payload.id, nodeId: payload.nodeId, ok: true, payloadJSON: OK });
      invokes.push({ startMs, endMs: performance.now() });
      reply.catch(() => undefined);
    },
  });
  await client.connect();
  return { client, invokes };
}

/** Sum of the durations in `log` that started at or after `fromMs`. */
function spentSince(log, fromMs) {
  let total = 0;
  let count = 0;
  for (const entry of log) {
    if (entry.startMs < fromMs) continue;
    total += entry.endMs - entry.startMs;
    count++;
  }
  return { ms: total, count };
}

function spread(samples, digits = 3) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, medianMs: round(median(sorted), digits), p95Ms: round(percentile(sorted, 95), digits), minMs: round(sorted[0], digits), maxMs: round(sorted[sorted.length - 1], digits) };
}

async function runToEnd(operator, message, sessionKey) {
  const result = await operator.request('agent', { message, sessionKey, idempotencyKey: `bench-${Math.random().toString(36).slice(2)}` }, { expectFinal: true, timeoutMs: 60_000 });
  if (result?.status !== 'ok') throw new Error(`agent run ended ${result?.status}: ${JSON.stringify(result).slice(0, 500)}`);
  return result;
}

/**
 * One run of `rounds` tool rounds (run_command on the instant node, then text). Returns the run's
 * wall time (agent sent → final res), the model's and the node's time, and the rest per round.
 */
async function timedRun(ctx, rounds, sessionKey) {
  const { model, reply, node, operator } = ctx;
  for (let i = 0; i < rounds; i++) model.script(reply.toolCalls([{ name: 'run_command', arguments: { command: ['true'] } }]));
  model.script(reply.text('done'));
  const t0 = performance.now();
  await runToEnd(operator, `run true ${rounds} times`, sessionKey);
  const wallMs = performance.now() - t0;
  const modelSpent = spentSince(served, t0);
  const nodeSpent = spentSince(node.invokes, t0);
  if (nodeSpent.count !== rounds) throw new Error(`expected ${rounds} invokes, the node answered ${nodeSpent.count}`);
  const gatewayMs = wallMs - modelSpent.ms - nodeSpent.ms;
  return { wallMs, modelMs: modelSpent.ms, modelRequests: modelSpent.count, nodeMs: nodeSpent.ms, gatewayMs };
}

/** Figure 1: the gateway's own time per tool round, over `runs` runs of `rounds` rounds each. */
async function perRound(ctx, { rounds, runs }) {
  await timedRun(ctx, rounds, 'agent:main:bench-rounds-warm');
  const samples = [];
  const baseline = [];
  for (let i = 0; i < runs; i++) {
    samples.push(await timedRun(ctx, rounds, `agent:main:bench-rounds-${i}`));
    baseline.push(await timedRun(ctx, 0, `agent:main:bench-rounds0-${i}`));
  }
  const baseGw = median(baseline.map((s) => s.gatewayMs));
  return {
    rounds,
    runs,
    perRound: spread(samples.map((s) => s.gatewayMs / rounds)),
    // The run's fixed cost (accept, first and final turn, transcript) measured by runs of 0 rounds, taken out.
    perRoundMarginal: spread(samples.map((s) => (s.gatewayMs - baseGw) / rounds)),
    zeroRoundRunGatewayMs: spread(baseline.map((s) => s.gatewayMs)),
    runWallMs: spread(samples.map((s) => s.wallMs), 1),
    modelMsPerRun: spread(samples.map((s) => s.modelMs)),
    nodeMsPerRun: spread(samples.map((s) => s.nodeMs)),
    modelRequestsPerRun: samples[0].modelRequests,
  };
}

/**
 * POSTs a streamed chat completion and resolves with ms from the request's end to the first chunk
 * carrying non-empty `delta.content` (the body is then read to the end). A fresh connection each time.
 */
function firstContentMs(url, headers, body) {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    let t0;
    let first;
    let buffer = '';
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      }
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (first !== undefined) return;
        buffer += chunk;
        if (/"content":"[^"]/.test(buffer)) first = performance.now() - t0;
      });
      res.on('end', () => (first === undefined ? reject(new Error(`${url}: no content in the stream`)) : resolve(first)));
    });
    req.on('error', reject);
    // "Sent": the whole request handed to the kernel (the same fresh-connection client on both sides).
    req.end(text, () => (t0 = performance.now()));
  });
}

/** Figure 2: first streamed token, straight from the model vs through the gateway (HTTP and WS). */
async function firstToken(ctx, { samples }) {
  const { model, reply, gateway, operator, events } = ctx;
  const text = () => reply.text(['Hello', ' from', ' the', ' scripted', ' model', '.']);
  const body = { model: 'bench', messages: [{ role: 'user', content: 'say hello' }], stream: true };
  const direct = () => (model.script(text()), firstContentMs(`${model.url}/chat/completions`, {}, body));
  const viaHttp = () => (model.script(text()), firstContentMs(`http://127.0.0.1:${gateway.port}/v1/chat/completions`, { authorization: `Bearer ${gateway.token}` }, body));
  const viaWs = async (i) => {
    model.script(text());
    const t0 = performance.now();
    const result = await runToEnd(operator, 'say hello', `agent:main:bench-ttft-${i}`);
    const first = events.firstAssistant.get(result.runId);
    if (first === undefined) throw new Error('no assistant event for the run');
    return first - t0;
  };
  for (let i = 0; i < 5; i++) {
    await direct();
    await viaHttp();
    await viaWs(`warm-${i}`);
  }
  const d = [];
  const h = [];
  const w = [];
  for (let i = 0; i < samples; i++) {
    d.push(await direct());
    h.push(await viaHttp());
    w.push(await viaWs(i));
  }
  const added = (xs) => spread(xs.map((x, i) => x - d[i]));
  return { samples, direct: spread(d), gatewayHttp: spread(h), gatewayWs: spread(w), addedHttp: added(h), addedWs: added(w) };
}

/** Figure 3: gateway RSS before and after 100 short runs on distinct session keys. */
async function idleSessions(ctx, { sessions }) {
  const { model, reply, gateway, operator } = ctx;
  model.script(reply.text('ok'));
  await runToEnd(operator, 'hi', 'agent:main:bench-rss-warm');
  await sleep(1000);
  const before = readRss(gateway.pid);
  const t0 = performance.now();
  for (let i = 0; i < sessions; i++) {
    model.script(reply.text('ok'));
    await runToEnd(operator, 'hi', `agent:main:bench-${i}`);
  }
  const runsMs = performance.now() - t0;
  await sleep(1000);
  const after = readRss(gateway.pid);
  const { sessions: listed } = await operator.request('sessions.list', {});
  return {
    sessions,
    listedSessions: listed.length,
    runsMs: round(runsMs, 0),
    before: { rssMb: round(before.rssMb, 1), peakMb: round(before.peakMb, 1) },
    after: { rssMb: round(after.rssMb, 1), peakMb: round(after.peakMb, 1) },
    addedMb: round(after.rssMb - before.rssMb, 1),
    addedKbPerSession: round(((after.rssMb - before.rssMb) * 1024) / sessions, 0),
  };
}

/**
 * Runs `fn` and adds `cpuPercent` to its result: CPU used meanwhile by the gateway, by this process
 * (the model, the node and the clients) and by the rest of the machine, as % of one core.
 */
async function withCpu(pid, fn) {
  const gw = readCpuMs(pid);
  const self = process.cpuUsage();
  const machine = readMachineCpuMs().busyMs;
  const t0 = performance.now();
  const result = await fn();
  const pct = (ms) => Math.round((ms / (performance.now() - t0)) * 100);
  const used = process.cpuUsage(self);
  const cpu = { gateway: pct(readCpuMs(pid) - gw), bench: pct((used.user + used.system) / 1000) };
  cpu.other = Math.max(0, pct(readMachineCpuMs().busyMs - machine) - cpu.gateway - cpu.bench);
  result.cpuPercent = cpu;
  return result;
}

/**
 * All three figures against one gateway started with `startGateway({ config })`. The agent's config
 * lets a run take `rounds` tool rounds.
 */
export async function agentBench(startGateway, { rounds = 20, runs = 7, samples = 30, sessions = 100 } = {}) {
  const { model, reply } = await startBenchModel();
  const gateway = await startGateway({ config: { agent: { model: 'bench', baseUrl: model.url, maxToolRounds: rounds } } });
  const node = await startInstantNode(gateway.url, gateway.token);
  const events = { firstAssistant: new Map() };
  const operator = operatorClient(gateway.url, gateway.token, {
    onEvent: (event, payload) => {
      if (event === 'agent' && payload?.stream === 'assistant' && !events.firstAssistant.has(payload.runId)) events.firstAssistant.set(payload.runId, performance.now());
    },
  });
  await operator.connect();
  const ctx = { model, reply, gateway, node, operator, events };
  try {
    const result = { gatewayPid: gateway.pid };
    result.idleSessions = await withCpu(gateway.pid, () => idleSessions(ctx, { sessions }));
    result.toolRound = await withCpu(gateway.pid, () => perRound(ctx, { rounds, runs }));
    result.firstToken = await withCpu(gateway.pid, () => firstToken(ctx, { samples }));
    result.gatewayRssAfter = round(readRss(gateway.pid).rssMb, 1);
    return { gateway, result };
  } finally {
    await operator.close();
    await node.client.close();
    await model.close();
  }
}
