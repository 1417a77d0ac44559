// Measures what a flood of unknown devices costs the pairing store: N admits of fresh keys with
// manual approval (50 declared commands each, like the security review's flood), then the size of
// state.json and audit.jsonl. Run after `npx tsc -b pairing`:
//   node pairing/bench/unknown-flood.mjs [count=1500] [addresses=count]
// `addresses` distinct IPv4 sources share the requests round-robin. Limits can be raised with
// TETHER_FLOOD_TOTAL / TETHER_FLOOD_PER_ADDRESS to time the uncapped in-memory path.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PairingStore } from '../dist/index.js';

const count = Number(process.argv[2] ?? 1500);
const addresses = Number(process.argv[3] ?? count);
const limits = {
  ...(process.env.TETHER_FLOOD_TOTAL && { maxUnknownPending: Number(process.env.TETHER_FLOOD_TOTAL) }),
  ...(process.env.TETHER_FLOOD_PER_ADDRESS && { maxUnknownPendingPerAddress: Number(process.env.TETHER_FLOOD_PER_ADDRESS) }),
};
const stateDir = mkdtempSync(join(tmpdir(), 'tether-flood-'));
const store = await PairingStore.open({ stateDir, ...limits });
const commands = Array.from({ length: 50 }, (_, i) => `custom.command-number-${i}`);
const kinds = {};
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const n = i % addresses;
  const claim = {
    deviceId: i.toString(16).padStart(64, '0'),
    publicKey: `pk-${i}`,
    role: 'node',
    scopes: [],
    commands,
    caps: [],
    displayName: `flood-${i}`,
    remoteIp: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  };
  const decision = await store.admit(claim, undefined, { autoApprove: false });
  kinds[decision.kind] = (kinds[decision.kind] ?? 0) + 1;
}
const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
const size = (path) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};
const result = {
  admits: count,
  addresses,
  decisions: kinds,
  listed: store.listPending().length,
  elapsedMs: Math.round(elapsedMs),
  stateJsonBytes: size(store.stateFile),
  auditBytes: size(store.auditFile),
};
await store.close();
rmSync(stateDir, { recursive: true, force: true });
console.table([result]);
console.log(JSON.stringify(result));
