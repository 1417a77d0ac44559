// A continuous browse (the CLI has none: `tether gateway discover` asks once): prints the gateways as a
// JSON line whenever the list changes. Env: MDNS_IF (this host's address), MISS_AFTER_MS.
import { watchGateways } from '../../node-agent/dist/discovery/browse.js';
await watchGateways({
  interface: process.env.MDNS_IF,
  requeryMs: 500,
  missAfterMs: Number(process.env.MISS_AFTER_MS ?? 2000),
  onChange: (list) => console.log(JSON.stringify({ t: Date.now(), names: list.map((g) => g.name) })),
});
console.log('watching');
