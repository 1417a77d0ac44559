// `node bench/control-ui.mjs`: what the Control UI costs. The page's weight (bytes and gzip, per file
// the build wrote), the gateway's start and RSS before anyone opens the page, RSS once the page and
// its files were served, and how long serving the page and its script takes (median of N GETs).
// Prints a table; never pass/fail. Needs `npm run build` first.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readRss, startGateway, stopAll, stopProcess } from './lib/procs.mjs';
import { median, round } from './lib/stats.mjs';

const RUNS = Number(process.env.TETHER_BENCH_RUNS ?? 5);
const GETS = 200;
const DIST = fileURLToPath(new URL('../gateway/ui/dist/', import.meta.url));

function pageWeight() {
  return readdirSync(DIST).map((name) => {
    const body = readFileSync(join(DIST, name));
    return { file: name.replace(/-[A-Z0-9]{8}\./, '-<hash>.'), bytes: body.length, gzipBytes: gzipSync(body).length };
  });
}

async function timedGets(url) {
  const times = [];
  for (let i = 0; i < GETS; i++) {
    const t0 = process.hrtime.bigint();
    const response = await fetch(url);
    await response.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return round(median(times), 2);
}

try {
  const weight = pageWeight();
  const script = readdirSync(DIST).find((name) => name.startsWith('main-'));
  const starts = [];
  const before = [];
  const after = [];
  const pageMs = [];
  const scriptMs = [];
  for (let i = 0; i < RUNS; i++) {
    const gateway = await startGateway();
    starts.push(gateway.startMs);
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the heap settle after start
    before.push(readRss(gateway.pid).rssMb);
    const base = `http://127.0.0.1:${gateway.port}`;
    pageMs.push(await timedGets(`${base}/`));
    scriptMs.push(await timedGets(`${base}/ui/${script}`));
    await new Promise((resolve) => setTimeout(resolve, 500));
    after.push(readRss(gateway.pid).rssMb);
    await stopProcess(gateway);
  }
  console.log('Control UI page weight (as built; served uncompressed):');
  console.table(weight);
  console.log(`gateway (${RUNS} runs, medians):`);
  console.table([
    {
      startMs: round(median(starts), 1),
      rssBeforePageMb: round(median(before), 1),
      rssAfterPageMb: round(median(after), 1),
      getPageMs: round(median(pageMs), 2),
      getScriptMs: round(median(scriptMs), 2),
    },
  ]);
} finally {
  await stopAll();
}
