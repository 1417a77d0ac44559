// `npm run bench`: start a real gateway and node-agent on 127.0.0.1 and measure start time, RSS,
// `node.invoke` (system.which) latency/throughput, and handshake rate. Prints a table with the
// targets from DESIGN.md and writes bench/results/mesh-<timestamp>.json and bench/results/latest.json.
// Never pass/fail: targets are reported, not asserted. The load client runs in this process, so on a
// 2-core machine it competes with the gateway and the node-agent for CPU.
//
// Then the embedded agent (bench/lib/agent.mjs): the gateway's own time per tool round, first streamed
// token through the gateway vs straight from a scripted model, and RSS with 100 idle sessions.
//
// Options: --quick (smaller counts), --profile (gateway and node-agent under --cpu-prof; profiles in bench/results/prof/),
// --agent-only (only the agent figures; writes bench/results/agent-<timestamp>.json and agent-latest.json).
import { join } from 'node:path';
import { agentBench } from './lib/agent.mjs';
import { pairingFlood } from './lib/flood.mjs';
import { invokeWhich, nodeList, operatorClient, runLoad, signedNodeHandshakes, tokenHandshakes } from './lib/load.mjs';
import { readCpuMs, readMachineCpuMs, readRss, startGateway, startNodeAgent, stopAll, stopProcess } from './lib/procs.mjs';
import { backgroundLoad, gitCommit, machineInfo, RESULTS_DIR, writeResults } from './lib/report.mjs';
import { median, round } from './lib/stats.mjs';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const PROFILE = args.has('--profile');
const AGENT_ONLY = args.has('--agent-only');
const RESULTS = RESULTS_DIR;
const N = QUICK
  ? { starts: 3, warmup: 200, c1: 500, c16: 2000, handshakes: 300, flood: 1500 }
  : { starts: 5, warmup: 500, c1: 3000, c16: 20000, handshakes: 2000, flood: 1500 };
// Agent: `runs` runs of `rounds` tool rounds (and as many of 0 rounds), `samples` first-token triples, `sessions` idle sessions.
const AGENT_N = QUICK ? { rounds: 20, runs: 5, samples: 30, sessions: 100 } : { rounds: 20, runs: 15, samples: 100, sessions: 100 };
const HANDSHAKE_CONCURRENCY = 8;
const IDLE_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** Runs `fn` and reports the CPU the gateway, the node and this client used meanwhile, as % of one core. */
async function withCpu(pids, fn) {
  const before = pids.map(readCpuMs);
  const self = process.cpuUsage();
  const machine = readMachineCpuMs();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  const pct = (ms) => Math.round((ms / wall) * 100);
  const used = process.cpuUsage(self);
  const cpu = { gateway: pct(readCpuMs(pids[0]) - before[0]), node: pct(readCpuMs(pids[1]) - before[1]), client: pct((used.user + used.system) / 1000) };
  // Everything else the machine did meanwhile (kernel softirq for loopback, other workloads).
  cpu.other = Math.max(0, pct(readMachineCpuMs().busyMs - machine.busyMs) - cpu.gateway - cpu.node - cpu.client);
  result.cpuPercent = cpu;
  return result;
}

async function measureStarts() {
  const runs = [];
  for (let i = 0; i < N.starts; i++) {
    const gateway = await startGateway();
    runs.push(round(gateway.startMs, 1));
    await stopProcess(gateway);
  }
  return { runsMs: runs, medianMs: round(median(runs), 1), minMs: Math.min(...runs), maxMs: Math.max(...runs) };
}



async function measureAgent() {
  log(`agent: ${AGENT_N.sessions} idle sessions, ${AGENT_N.runs}+${AGENT_N.runs} runs of ${AGENT_N.rounds} / 0 tool rounds, ${AGENT_N.samples} first-token samples per path`);
  const nodeArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'prof')] : [];
  const { gateway, result } = await agentBench((options) => startGateway({ ...options, nodeArgs }), AGENT_N);
  await stopProcess(gateway);
  return result;
}

async function agentOnly() {
  const results = { date: new Date().toISOString(), commit: gitCommit(), machine: machineInfo(), counts: { agent: AGENT_N }, profiled: PROFILE };
  results.backgroundCpuPercentBefore = await backgroundLoad();
  results.agent = await measureAgent();
  results.backgroundCpuPercentAfter = await backgroundLoad();
  return results;
}

async function main() {
  const results = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: machineInfo(),
    counts: { ...N, handshakeConcurrency: HANDSHAKE_CONCURRENCY, agent: AGENT_N },
    profiled: PROFILE, // --cpu-prof slows both processes; do not compare these numbers with normal runs
    note: 'Load client runs in the bench process and shares the CPU cores with the gateway and the node-agent.',
  };

  results.backgroundCpuPercentBefore = await backgroundLoad();
  if (results.backgroundCpuPercentBefore > 20) log(`warning: the machine is already busy (${results.backgroundCpuPercentBefore}% of one core); numbers will be noisy`);
  log(`gateway start × ${N.starts}`);
  results.start = await measureStarts();

  const nodeArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'prof')] : [];
  const gateway = await startGateway({ nodeArgs });
  await sleep(IDLE_MS);
  results.gatewayRssIdle = readRss(gateway.pid);

  const node = await startNodeAgent(gateway.url, { nodeArgs, token: gateway.token });
  results.nodeConnectMs = round(node.connectMs, 1);
  await sleep(IDLE_MS);
  results.nodeRssIdle = readRss(node.pid);
  results.gatewayRssWithNode = readRss(gateway.pid);

  const client = operatorClient(gateway.url, gateway.token);
  await client.connect();
  const { nodes } = await client.request('node.list', {});
  const nodeId = nodes.find((n) => n.connected)?.nodeId;
  if (!nodeId) throw new Error(`node.list shows no connected node: ${JSON.stringify(nodes)}`);
  const pids = [gateway.pid, node.pid];

  log(`warm-up: ${N.warmup} invokes + ${N.warmup} node.list`);
  await runLoad(invokeWhich(client, nodeId), { total: N.warmup, concurrency: 4 });
  await runLoad(nodeList(client), { total: N.warmup, concurrency: 4 });

  log('node.list baseline (gateway only)');
  results.nodeList = {
    c1: await withCpu(pids, () => runLoad(nodeList(client), { total: N.c1, concurrency: 1 })),
    c16: await withCpu(pids, () => runLoad(nodeList(client), { total: N.c16, concurrency: 16 })),
  };
  log('node.invoke system.which');
  results.invoke = {
    c1: await withCpu(pids, () => runLoad(invokeWhich(client, nodeId), { total: N.c1, concurrency: 1 })),
    c16: await withCpu(pids, () => runLoad(invokeWhich(client, nodeId), { total: N.c16, concurrency: 16 })),
  };
  await client.close();
  results.gatewayRssAfterInvokes = readRss(gateway.pid);
  results.nodeRssAfterInvokes = readRss(node.pid);

  log(`handshakes: ${N.handshakes} token, ${N.handshakes} signed node, ${HANDSHAKE_CONCURRENCY} at a time`);
  results.handshakes = {
    token: await withCpu(pids, () => tokenHandshakes(gateway.url, gateway.token, { total: N.handshakes, concurrency: HANDSHAKE_CONCURRENCY })),
    signedNode: await withCpu(pids, () => signedNodeHandshakes(gateway.url, gateway.token, { total: N.handshakes, concurrency: HANDSHAKE_CONCURRENCY })),
  };
  results.gatewayRssAfterHandshakes = readRss(gateway.pid);

  log(`pairing flood: ${N.flood} unauthenticated pairing attempts, 10 at a time`);
  results.flood = await pairingFlood(gateway, { total: N.flood, concurrency: 10 });

  await stopProcess(node);
  await stopProcess(gateway);
  results.agent = await measureAgent();
  results.backgroundCpuPercentAfter = await backgroundLoad();
  return results;
}

function agentRows(a) {
  const ms = (x, d = 2) => `median ${x.medianMs.toFixed(d)} / p95 ${x.p95Ms.toFixed(d)} ms (n=${x.n})`;
  const cpu = (x) => `CPU gw ${x.cpuPercent.gateway}% bench ${x.cpuPercent.bench}% other ${x.cpuPercent.other}%`;
  const t = a.toolRound;
  const f = a.firstToken;
  const s = a.idleSessions;
  return [
    [`agent: gateway time per tool round (${t.rounds}-round runs)`, ms(t.perRound), '', `less the 0-round run's cost: ${ms(t.perRoundMarginal)}; run wall ${t.runWallMs.medianMs} ms; ${cpu(t)}`],
    ['agent: first token, straight from the model', ms(f.direct), '', cpu(f)],
    ['agent: first token, gateway HTTP stream', ms(f.gatewayHttp), '', `added ${ms(f.addedHttp)}`],
    ['agent: first token, gateway WS agent event', ms(f.gatewayWs), '', `added ${ms(f.addedWs)}`],
    ['agent: first token added by the gateway (HTTP)', `median ${f.addedHttp.medianMs.toFixed(2)} / p95 ${f.addedHttp.p95Ms.toFixed(2)} ms`, '< 5 ms added', ''],
    [`agent: gateway RSS, before → after ${s.sessions} idle sessions`, `${s.before.rssMb.toFixed(1)} → ${s.after.rssMb.toFixed(1)} MB (+${s.addedMb.toFixed(1)} MB, ${s.addedKbPerSession} KB/session)`, '', `${s.listedSessions} sessions listed; ${s.sessions} runs took ${s.runsMs} ms; ${cpu(s)}`],
  ];
}

function printTable(r) {
  const mb = (x) => `${x.rssMb.toFixed(1)} MB`;
  const lat = (x) => `p50 ${x.p50Ms.toFixed(2)} / p95 ${x.p95Ms.toFixed(2)} / p99 ${x.p99Ms.toFixed(2)} ms, ${x.perSecond.toLocaleString('en-US')}/s`;
  const rate = (x) => `${x.perSecond.toLocaleString('en-US')}/s (p50 ${x.p50Ms.toFixed(2)} ms)`;
  const errs = (x) => (x.errors ? ` [${x.errors} errors]` : '');
  const cpu = (x) => `CPU gw ${x.cpuPercent.gateway}% node ${x.cpuPercent.node}% client ${x.cpuPercent.client}% other ${x.cpuPercent.other}%`;
  const rows = !r.start ? [] : [
    ['gateway start → accepting', `median ${r.start.medianMs} ms (min ${r.start.minMs}, max ${r.start.maxMs}, n=${r.start.runsMs.length})`, '< 300 ms', ''],
    ['gateway RSS after start (idle)', mb(r.gatewayRssIdle), '< 80 MB', `${mb(r.gatewayRssWithNode)} with node`],
    ['gateway RSS after load', mb(r.gatewayRssAfterHandshakes), '', `after invokes ${mb(r.gatewayRssAfterInvokes)}`],
    ['node RSS after start (idle)', mb(r.nodeRssIdle), '< 60 MB', `after invokes ${mb(r.nodeRssAfterInvokes)}`],
    ['node.invoke system.which, 1 in flight', lat(r.invoke.c1) + errs(r.invoke.c1), 'p50 < 1 ms', cpu(r.invoke.c1)],
    ['node.invoke system.which, 16 in flight', lat(r.invoke.c16) + errs(r.invoke.c16), '> 5,000/s', cpu(r.invoke.c16)],
    ['node.list (gateway only), 1 in flight', lat(r.nodeList.c1) + errs(r.nodeList.c1), '', cpu(r.nodeList.c1)],
    ['node.list (gateway only), 16 in flight', lat(r.nodeList.c16) + errs(r.nodeList.c16), '', cpu(r.nodeList.c16)],
    [`handshakes/s, shared token (${HANDSHAKE_CONCURRENCY} at a time)`, rate(r.handshakes.token) + errs(r.handshakes.token), '> 1,000/s', cpu(r.handshakes.token)],
    [`signed node handshakes/s (${HANDSHAKE_CONCURRENCY} at a time)`, rate(r.handshakes.signedNode) + errs(r.handshakes.signedNode), '', cpu(r.handshakes.signedNode)],
    [
      `owner connect, before → after ${r.flood.total} unauthenticated pairing attempts`,
      `p50 ${r.flood.before.ownerConnectMs} → ${r.flood.after.ownerConnectMs} ms; state.json ${r.flood.before.stateJsonBytes} → ${r.flood.after.stateJsonBytes} bytes`,
      'both flat',
      `flood took ${r.flood.floodMs} ms; answers ${Object.entries(r.flood.answers).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ],
  ];
  if (r.agent) rows.push(...agentRows(r.agent));
  const header = ['Metric', 'Measured', 'Target', 'Notes'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const m = r.machine;
  console.log(`\nTether mesh benchmark — ${r.date}`);
  console.log(`${m.cores} cores (${m.cpu}), ${m.memGb} GB, Node ${m.node}, ${m.platform}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(`Background CPU before/after the run (other workloads): ${r.backgroundCpuPercentBefore}% / ${r.backgroundCpuPercentAfter}% of one core`);
  if (r.note) console.log(`\nNote: ${r.note} "CPU gw/node/client" is CPU time used by the gateway, the node-agent and the bench client during that run, as % of one core (2 cores = 200%); "other" is the rest of the machine (kernel, other workloads).`);
}

let exitCode = 0;
try {
  const results = AGENT_ONLY ? await agentOnly() : await main();
  printTable(results);
  const [name, latest] = AGENT_ONLY ? ['agent', 'agent-latest.json'] : ['mesh', 'latest.json'];
  const file = writeResults(name, results, latest);
  console.log(`Wrote ${file} and bench/results/${latest}`);
} catch (error) {
  console.error(`[bench] failed: ${error?.stack ?? error}`);
  exitCode = 1;
} finally {
  await stopAll();
}
process.exit(exitCode);
