// What every benchmark records about its run, and where it writes the JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { readMachineCpuMs } from './procs.mjs';
import { round } from './stats.mjs';

export const RESULTS_DIR = new URL('../results/', import.meta.url).pathname;

/** The commit measured, with `+dirty` when the tree has uncommitted changes. */
export function gitCommit() {
  try {
    const cwd = new URL('../..', import.meta.url).pathname;
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return undefined;
  }
}

export function machineInfo() {
  return { cores: availableParallelism(), cpu: cpus()[0]?.model, memGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** CPU the rest of the machine is using right now (other workloads), as % of one core, over `ms`. */
export async function backgroundLoad(ms = 1000) {
  const before = readMachineCpuMs();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = readMachineCpuMs();
  return Math.round(((after.busyMs - before.busyMs) / (after.totalMs - before.totalMs)) * availableParallelism() * 100);
}

/** Writes `<name>-<date>.json`, and `<latest>` too when given; returns the dated file's path. */
export function writeResults(name, results, latest) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const file = join(RESULTS_DIR, `${name}-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  if (latest) writeFileSync(join(RESULTS_DIR, latest), json);
  return file;
}
