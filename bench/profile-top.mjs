// Prints the top self-time functions of a V8 .cpuprofile (from `npm run bench -- --profile`).
// Usage: node bench/profile-top.mjs <file.cpuprofile> [count]
import { readFileSync } from 'node:fs';

const [file, countArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [count]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTicks = new Map();
for (const id of profile.samples) selfTicks.set(id, (selfTicks.get(id) ?? 0) + 1);

const totals = new Map();
let busy = 0;
for (const [id, ticks] of selfTicks) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const name = functionName || '(anonymous)';
  if (name !== '(idle)' && name !== '(program)') busy += ticks;
  const key = `${name}  ${url.replace(/^.*\/(node_modules|bundle|dist)\//, '$1/')}:${lineNumber + 1}`;
  totals.set(key, (totals.get(key) ?? 0) + ticks);
}
const all = profile.samples.length;
console.log(`${file}\n${all} samples, ${((busy / all) * 100).toFixed(1)}% busy (excluding idle/program)`);
for (const [key, ticks] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 25))) {
  console.log(`${((ticks / all) * 100).toFixed(1).padStart(5)}%  ${key}`);
}
