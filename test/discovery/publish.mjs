// Runs inside a namespace "host": advertises like the gateway would, prints its state as JSON lines.
import { startDiscovery } from '../../gateway/dist/discovery/index.js';
const log = { debug() {}, info: (m) => console.error(`[pub] ${m}`), warn: (m) => console.error(`[pub] warn ${m}`), error: (m) => console.error(`[pub] error ${m}`) };
const handle = startDiscovery({
  port: Number(process.env.PORT ?? 18789),
  host: '0.0.0.0',
  mode: 'on',
  name: process.env.NAME ?? 'tt-gw',
  interface: process.env.MDNS_IF,
  hostname: process.env.HOSTLABEL ?? 'tt-gw',
  ...(process.env.FP ? { tls: { fingerprint: process.env.FP } } : {}),
  log,
});
const timer = setInterval(() => console.log(JSON.stringify(handle.state())), 250);
const stop = async () => { clearInterval(timer); await handle.close(); console.log(JSON.stringify(handle.state())); process.exit(0); };
process.on('SIGTERM', stop);
process.stdin.on('data', (d) => { if (String(d).includes('stop')) stop(); });
setTimeout(stop, Number(process.env.LIFETIME_MS ?? 15000));
