// `npm run bench:openclaw`: the same workload against the Tether gateway and the OpenClaw 2026.9.6
// gateway, one after the other, with the stock OpenClaw 2026.9.6 node host as the node in both runs,
// so only the gateway differs. Measures gateway start, gateway RSS (whole process tree: OpenClaw
// starts helper processes), and node.invoke system.which latency/throughput with 1 and 16 in flight.
// Prints a table with a Tether/OpenClaw ratio per figure and writes
// bench/results/compare-openclaw-<timestamp>.json and bench/results/compare-openclaw-latest.json.
//
// Needs `npm run build` and the interop peer in ~/.cache/tether-interop (`node test/interop/install-peer.mjs`,
// or one `npm run test:interop`); TETHER_INTEROP_CACHE overrides the cache. Takes about 1.5–3 minutes,
// almost all of it OpenClaw starting up, pairing and serving its ~2,400 invokes.
// Options: --quick (smaller counts), --only tether|openclaw (one side; does not touch the -latest
// file), --tether-node <path> (runtime for the Tether gateway; default: the node running this script,
// e.g. pass Node 24 from the interop cache to run both gateways on the same runtime).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { GatewayClient } from '../protocol/dist/index.js';
import { runLoad } from './lib/load.mjs';
import {
  OPENCLAW_VERSION,
  openclawPeer,
  runOpenclaw,
  sinceSpawn,
  startOpenclawGateway,
  startOpenclawNodeHost,
  startTetherGateway,
  stopAllGroups,
  stopGroup,
  treeCpuMs,
  treeMemory,
} from './lib/openclaw.mjs';
import { readMachineCpuMs } from './lib/procs.mjs';
import { backgroundLoad, gitCommit, machineInfo, writeResults } from './lib/report.mjs';
import { round } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const ONLY = option('--only');
const TETHER_NODE = option('--tether-node') ?? process.execPath;
if (ONLY && ONLY !== 'tether' && ONLY !== 'openclaw') throw new Error('--only takes tether or openclaw');
// OpenClaw serves ≈100 invokes/s, so the counts are small; Tether gets the same counts.
const N = QUICK ? { warmup: 20, c1: 100, c16: 400 } : { warmup: 50, c1: 300, c16: 2000 };
const IDLE_MS = 1000;
const CLIENT = { id: 'cli', mode: 'cli', version: OPENCLAW_VERSION, platform: 'linux' }; // OpenClaw checks client.id against its enum
const NODE_NAME = 'bench-node';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => process.stderr.write(`[compare] ${message}\n`);

function operator(gateway) {
  return new GatewayClient({
    url: gateway.url,
    token: gateway.token,
    role: 'operator',
    scopes: ['operator.admin'],
    client: CLIENT,
    minProtocol: 4,
    maxProtocol: 4,
    requestTimeoutMs: 15_000,
    connectTimeoutMs: 15_000,
  });
}

function invokeWhich(client, nodeId) {
  return () =>
    client.request(
      'node.invoke',
      { nodeId, command: 'system.which', params: { bins: ['sh'] }, idempotencyKey: randomUUID(), timeoutMs: 10_000 },
      { timeoutMs: 15_000 },
    );
}

/** Runs `fn` and adds the CPU the gateway tree, the node host tree, this client and the rest of the machine used. */
async function withCpu(gatewayPid, nodePid, fn) {
  const before = { gateway: treeCpuMs(gatewayPid), node: treeCpuMs(nodePid), machine: readMachineCpuMs().busyMs };
  const self = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const used = process.cpuUsage(self);
  const ms = {
    gateway: treeCpuMs(gatewayPid) - before.gateway,
    node: treeCpuMs(nodePid) - before.node,
    client: (used.user + used.system) / 1000,
    machine: readMachineCpuMs().busyMs - before.machine,
  };
  const pct = (x) => Math.round((x / wall) * 100);
  result.cpuPercent = { gateway: pct(ms.gateway), node: pct(ms.node), client: pct(ms.client) };
  result.cpuPercent.other = Math.max(0, pct(ms.machine) - result.cpuPercent.gateway - result.cpuPercent.node - result.cpuPercent.client);
  result.gatewayCpuMsPerInvoke = result.count > 0 ? round(ms.gateway / result.count, 3) : undefined;
  result.nodeCpuMsPerInvoke = result.count > 0 ? round(ms.node / result.count, 3) : undefined;
  return result;
}


/** Polls an `openclaw … --json` command until `pick(parsed)` returns something (bounded). */
async function pollOpenclaw(peer, gateway, args, pick, { attempts = 40, what }) {
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const result = await runOpenclaw(peer, gateway.home, [...args, '--json', '--url', gateway.url, '--token', gateway.token]);
    last = result.output.slice(-2000);
    if (result.code === 0) {
      try {
        const found = pick(JSON.parse(result.stdout));
        if (found) return found;
      } catch {
        // Not JSON yet (the gateway may still be warming up); try again.
      }
    }
    await sleep(500);
  }
  throw new Error(`${what}: not found after ${attempts} tries; last output:\n${last}`);
}

async function openclawCli(peer, gateway, args) {
  const result = await runOpenclaw(peer, gateway.home, [...args, '--url', gateway.url, '--token', gateway.token]);
  if (result.code !== 0) throw new Error(`openclaw ${args.join(' ')} exited ${result.code}:\n${result.output.slice(-2000)}`);
  return result.output.trim();
}

/**
 * OpenClaw's two approvals. After `devices approve` the stock node host stays paused ("reconnect
 * paused … waiting for operator action") until it is restarted, so it is restarted; then its command
 * surface is approved with `nodes approve`, after which it retries by itself.
 */
async function pairOnOpenclaw(peer, gateway, node) {
  const steps = [];
  const device = await pollOpenclaw(peer, gateway, ['devices', 'list'], (list) => list.pending?.find((p) => p.displayName === NODE_NAME), { what: 'device pairing request' });
  steps.push(`openclaw devices approve ${device.requestId}`);
  log(`openclaw: ${steps.at(-1)}`);
  await openclawCli(peer, gateway, ['devices', 'approve', device.requestId]);
  log('openclaw: restarting the node host (it pauses after PAIRING_REQUIRED until restarted)');
  await stopGroup(node.proc);
  const restarted = startOpenclawNodeHost(peer, gateway.port, gateway.token, node.home);
  steps.push('restart the node host');
  const surface = await pollOpenclaw(peer, gateway, ['nodes', 'pending'], (list) => list.find?.((p) => p.displayName === NODE_NAME), { what: 'node command-surface request' });
  steps.push(`openclaw nodes approve ${surface.requestId}`);
  log(`openclaw: ${steps.at(-1)}`);
  await openclawCli(peer, gateway, ['nodes', 'approve', surface.requestId]);
  return { node: restarted, steps };
}

/** Waits until the node answers an invoke through this gateway; returns its node id. */
async function waitForInvocableNode(client, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no connected node yet';
  while (Date.now() < deadline) {
    try {
      const { nodes } = await client.request('node.list', {});
      const node = nodes.find((n) => n.displayName === NODE_NAME && n.connected);
      if (node) {
        await invokeWhich(client, node.nodeId)();
        return node.nodeId;
      }
    } catch (error) {
      lastError = error.message;
    }
    await sleep(250);
  }
  throw new Error(`the node host did not become invocable within ${timeoutMs} ms: ${lastError}`);
}

async function runSide(kind, peer) {
  const r = { kind };
  log(`${kind}: starting the gateway`);
  const gateway = kind === 'tether' ? await startTetherGateway({ node: TETHER_NODE }) : await startOpenclawGateway(peer);
  r.start = { readyMs: round(gateway.readyMs, 1) };
  if (gateway.tcpMs !== undefined) r.start.tcpAcceptMs = round(gateway.tcpMs, 1);
  log(`${kind}: accepting after ${Math.round(gateway.readyMs)} ms`);
  await sleep(IDLE_MS);
  r.gatewayMemoryIdle = treeMemory(gateway.pid);

  log(`${kind}: starting the OpenClaw node host`);
  let node = startOpenclawNodeHost(peer, gateway.port, gateway.token);
  const client = operator(gateway);
  try {
    const hello = await client.connect();
    r.gatewayVersion = hello.server?.version;
    r.protocol = hello.protocol;
    if (kind === 'openclaw') {
      const paired = await pairOnOpenclaw(peer, gateway, node);
      node = paired.node;
      r.pairingSteps = paired.steps;
    } else {
      r.pairingSteps = []; // loopback: paired silently, no operator step
    }
    const nodeId = await waitForInvocableNode(client);
    r.nodeInvocableMs = round(sinceSpawn(node.proc), 0); // from the (last) node host spawn
    log(`${kind}: node ${nodeId.slice(0, 12)} answers invokes (${r.nodeInvocableMs} ms after its spawn)`);
    await sleep(IDLE_MS);
    r.gatewayMemoryWithNode = treeMemory(gateway.pid);
    r.nodeMemory = treeMemory(node.pid);
    r.backgroundCpuPercent = await backgroundLoad();

    log(`${kind}: warm-up ${N.warmup} invokes`);
    r.warmup = await runLoad(invokeWhich(client, nodeId), { total: N.warmup, concurrency: 4 });
    log(`${kind}: ${N.c1} invokes, 1 in flight`);
    r.c1 = await withCpu(gateway.pid, node.pid, () => runLoad(invokeWhich(client, nodeId), { total: N.c1, concurrency: 1 }));
    log(`${kind}: ${N.c16} invokes, 16 in flight`);
    r.c16 = await withCpu(gateway.pid, node.pid, () => runLoad(invokeWhich(client, nodeId), { total: N.c16, concurrency: 16 }));
    r.gatewayMemoryAfter = treeMemory(gateway.pid);
    r.nodeMemoryAfter = treeMemory(node.pid);
  } finally {
    await client.close().catch(() => undefined);
    await stopGroup(node.proc);
    await stopGroup(gateway.proc);
  }
  return r;
}


async function main() {
  const peer = openclawPeer();
  const results = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: machineInfo(),
    runtimes: {
      tether: execFileSync(TETHER_NODE, ['--version'], { encoding: 'utf8' }).trim(),
      openclaw: execFileSync(peer.node24, ['--version'], { encoding: 'utf8' }).trim(),
    },
    openclawVersion: OPENCLAW_VERSION,
    counts: N,
    workload: 'node.invoke system.which {"bins":["sh"]} on the OpenClaw 2026.9.6 node host; one operator connection (shared token, operator.admin); fresh state dirs; everything on 127.0.0.1',
    note: 'Load client runs in the bench process and shares the cores with both gateways and the node host. RSS is summed over each process tree.',
  };
  results.backgroundCpuPercentBefore = await backgroundLoad();
  if (results.backgroundCpuPercentBefore > 20) log(`warning: the machine is already busy (${results.backgroundCpuPercentBefore}% of one core); numbers will be noisy`);
  for (const kind of ['tether', 'openclaw']) {
    if (ONLY && ONLY !== kind) continue;
    results[kind] = await runSide(kind, peer);
  }
  results.backgroundCpuPercentAfter = await backgroundLoad();
  return results;
}

// ---------------------------------------------------------------------------------------------
// Table

function fmtMs(ms) {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`;
}
const fmtMb = (m) => (m ? `${m.rssMb.toFixed(0)} MB (${m.processes.length} proc)` : '–');
const fmtRate = (x) => (x ? `${x.perSecond.toLocaleString('en-US')}/s` : '–');
const withErrors = (text, x) => (x?.errors ? `${text} [${x.errors} errors]` : text);

/** Tether/OpenClaw, and what it means in words for a figure where lower (or higher) is better. */
function ratio(tether, openclaw, higherIsBetter = false) {
  if (!(tether > 0) || !(openclaw > 0)) return ['–', ''];
  const r = tether / openclaw;
  const text = r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r >= 0.001 ? r.toFixed(4) : r.toExponential(1);
  const factor = higherIsBetter ? r : 1 / r;
  const reading = factor >= 1 ? `${factor >= 10 ? factor.toFixed(0) : factor.toFixed(1)}× ${higherIsBetter ? 'more' : 'less'}` : `${(1 / factor).toFixed(1)}× ${higherIsBetter ? 'less' : 'more'}`;
  return [text, reading];
}

function tableRows(r) {
  const t = r.tether ?? {};
  const o = r.openclaw ?? {};
  const row = (metric, tv, ov, tText, oText, higherIsBetter = false) => [metric, tText, oText, ...ratio(tv, ov, higherIsBetter)];
  return [
    row('gateway start → accepting (Tether: listening line; OpenClaw: /readyz ready)', t.start?.readyMs, o.start?.readyMs, fmtMs(t.start?.readyMs), fmtMs(o.start?.readyMs)),
    row('gateway start → TCP accept', t.start?.readyMs, o.start?.tcpAcceptMs, fmtMs(t.start?.readyMs), fmtMs(o.start?.tcpAcceptMs)),
    row('gateway RSS 1 s after start (process tree)', t.gatewayMemoryIdle?.rssMb, o.gatewayMemoryIdle?.rssMb, fmtMb(t.gatewayMemoryIdle), fmtMb(o.gatewayMemoryIdle)),
    row('gateway RSS with the node connected', t.gatewayMemoryWithNode?.rssMb, o.gatewayMemoryWithNode?.rssMb, fmtMb(t.gatewayMemoryWithNode), fmtMb(o.gatewayMemoryWithNode)),
    row(`gateway RSS after ${N.warmup + N.c1 + N.c16} invokes`, t.gatewayMemoryAfter?.rssMb, o.gatewayMemoryAfter?.rssMb, fmtMb(t.gatewayMemoryAfter), fmtMb(o.gatewayMemoryAfter)),
    row(`invoke, 1 in flight: p50 (${N.c1} calls)`, t.c1?.p50Ms, o.c1?.p50Ms, withErrors(fmtMs(t.c1?.p50Ms), t.c1), withErrors(fmtMs(o.c1?.p50Ms), o.c1)),
    row('invoke, 1 in flight: p99', t.c1?.p99Ms, o.c1?.p99Ms, fmtMs(t.c1?.p99Ms), fmtMs(o.c1?.p99Ms)),
    row('invoke, 1 in flight: throughput', t.c1?.perSecond, o.c1?.perSecond, fmtRate(t.c1), fmtRate(o.c1), true),
    row(`invoke, 16 in flight: p50 (${N.c16} calls)`, t.c16?.p50Ms, o.c16?.p50Ms, withErrors(fmtMs(t.c16?.p50Ms), t.c16), withErrors(fmtMs(o.c16?.p50Ms), o.c16)),
    row('invoke, 16 in flight: p99', t.c16?.p99Ms, o.c16?.p99Ms, fmtMs(t.c16?.p99Ms), fmtMs(o.c16?.p99Ms)),
    row('invoke, 16 in flight: throughput', t.c16?.perSecond, o.c16?.perSecond, fmtRate(t.c16), fmtRate(o.c16), true),
    row('gateway CPU per invoke (16 in flight)', t.c16?.gatewayCpuMsPerInvoke, o.c16?.gatewayCpuMsPerInvoke, fmtMs(t.c16?.gatewayCpuMsPerInvoke), fmtMs(o.c16?.gatewayCpuMsPerInvoke)),
    row('node host RSS (same program in both runs)', t.nodeMemory?.rssMb, o.nodeMemory?.rssMb, fmtMb(t.nodeMemory), fmtMb(o.nodeMemory)),
  ];
}

function printTable(r) {
  const header = ['Metric', 'Tether', `OpenClaw ${OPENCLAW_VERSION}`, 'Tether/OpenClaw', 'Tether uses/gives'];
  const rows = tableRows(r);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const m = r.machine;
  console.log(`\nTether vs OpenClaw ${OPENCLAW_VERSION}, same node host (OpenClaw ${OPENCLAW_VERSION} node host) — ${r.date}`);
  console.log(`${m.cores} cores (${m.cpu}), ${m.memGb} GB; Tether gateway on Node ${r.runtimes.tether}, OpenClaw on Node ${r.runtimes.openclaw}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const kind of ['tether', 'openclaw']) {
    const x = r[kind];
    if (!x) continue;
    const cpu = (c) => (c ? `gw ${c.cpuPercent.gateway}% node ${c.cpuPercent.node}% client ${c.cpuPercent.client}% other ${c.cpuPercent.other}%` : '–');
    console.log(`${kind}: pairing steps: ${x.pairingSteps.length ? x.pairingSteps.join(' → ') : 'none (loopback, silent)'}; node invocable ${fmtMs(x.nodeInvocableMs)} after its spawn; CPU c=1 ${cpu(x.c1)}; c=16 ${cpu(x.c16)}; background before load ${x.backgroundCpuPercent}%`);
  }
  console.log(`Background CPU before/after the run: ${r.backgroundCpuPercentBefore}% / ${r.backgroundCpuPercentAfter}% of one core`);
  console.log(`Note: ${r.note}`);
}

let exitCode = 0;
try {
  const results = await main();
  printTable(results);
  // A one-sided run (--only) is a check, not a comparison: it leaves compare-openclaw-latest.json alone.
  const file = writeResults('compare-openclaw', results, results.tether && results.openclaw ? 'compare-openclaw-latest.json' : undefined);
  console.log(`Wrote ${file}${results.tether && results.openclaw ? ' and bench/results/compare-openclaw-latest.json' : ''}`);
} catch (error) {
  console.error(`[compare] failed: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await stopAllGroups();
}
process.exit(exitCode);
