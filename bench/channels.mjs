// `node bench/channels.mjs`: what chat channels cost the gateway. Starts the built gateway N times
// with no channel configured (the SDKs must not load: start time and RSS as before issue 10), then
// with channels.telegram pointed at a minimal local Bot API (getMe, deleteWebhook, long-poll
// getUpdates), and reports start → listening, RSS once the channel is connected, and the difference.
// Prints a table; never pass/fail. Needs `npm run build` first.
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readRss, startGateway, stopAll, stopProcess } from './lib/procs.mjs';
import { median, round } from './lib/stats.mjs';

const RUNS = Number(process.env.TETHER_BENCH_RUNS ?? 5);
const TOKEN = '1:BENCH';
const TETHER = fileURLToPath(new URL('../cli/bin/tether.js', import.meta.url));

/** The least of the Bot API a polling bot needs; getUpdates is held until its timeout. */
async function fakeBotApi() {
  const server = createServer((request, response) => {
    const method = /\/bot[^/]+\/(\w+)/.exec(request.url ?? '')?.[1];
    const answer = (result) => {
      response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ ok: true, result }));
    };
    request.resume();
    if (method === 'getMe') return answer({ id: 1, is_bot: true, first_name: 'Bench', username: 'bench_bot' });
    if (method === 'deleteWebhook') return answer(true);
    if (method === 'getUpdates') return void setTimeout(() => answer([]), 25_000).unref();
    return answer(true);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => (server.closeAllConnections(), server.close()) };
}

function channelState(stateDir) {
  const out = execFileSync(process.execPath, [TETHER, 'channels', 'status', '--json', '--state-dir', stateDir], { encoding: 'utf8' });
  return JSON.parse(out).channels[0]?.state;
}

async function measure(config) {
  const starts = [];
  const rss = [];
  for (let i = 0; i < RUNS; i++) {
    const gateway = await startGateway(config ? { config } : {});
    starts.push(gateway.startMs);
    if (config) {
      const deadline = Date.now() + 15_000;
      while (channelState(gateway.stateDir) !== 'connected') {
        if (Date.now() > deadline) throw new Error('the Telegram channel did not connect');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the heap settle after start
    rss.push(readRss(gateway.pid).rssMb);
    await stopProcess(gateway);
  }
  return { startMs: round(median(starts), 1), startMinMs: round(Math.min(...starts), 1), rssMb: round(median(rss), 1) };
}

try {
  const api = await fakeBotApi();
  const none = await measure(undefined);
  const telegram = await measure({ channels: { telegram: { botToken: TOKEN, apiRoot: api.url } } });
  api.close();
  const rows = [
    ['no channel configured', `${none.startMs} ms (min ${none.startMinMs})`, `${none.rssMb} MB`],
    ['Telegram configured, connected', `${telegram.startMs} ms (min ${telegram.startMinMs})`, `${telegram.rssMb} MB (+${round(telegram.rssMb - none.rssMb, 1)} MB)`],
  ];
  console.log(`gateway with and without chat channels (median of ${RUNS} starts each, Node ${process.versions.node})\n`);
  console.log('| | start → listening | RSS after start |\n|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  await stopAll();
}
