// Runs inside a namespace "host": browses and prints the result as one JSON line.
import { browseGateways, watchGateways } from '../../node-agent/dist/discovery/browse.js';
if (process.env.WATCH) {
  const watch = await watchGateways({ interface: process.env.MDNS_IF, requeryMs: 500, missAfterMs: 2000, onChange: (list) => console.log(JSON.stringify({ t: Date.now(), list })) });
  setTimeout(async () => { await watch.stop(); process.exit(0); }, Number(process.env.WATCH));
} else {
  const result = await browseGateways({ interface: process.env.MDNS_IF, timeoutMs: Number(process.env.TIMEOUT ?? 3000) });
  console.log(JSON.stringify(result));
  process.exit(0);
}
