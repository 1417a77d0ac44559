/** Doctor's checks of this machine: the TLS certificate's expiry and free disk space. */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statfsSync } from 'node:fs';
import type { Check } from './finding.js';

const DAY_MS = 86_400_000;

export function certificateExpiryCheck(certPath: string, nowMs = Date.now(), warnDays = 30): Check {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certPath));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? { id: 'tls.certificate', status: 'ok', message: `no certificate at ${certPath} yet; the gateway makes one on its first TLS start` }
      : { id: 'tls.certificate', status: 'problem', message: `cannot read the TLS certificate ${certPath}: ${(error as Error).message}`, fix: `restore it, or delete it and its key to make a new one (pinned nodes and CLIs must then re-pin: tether node trust --reset)` };
  }
  const notAfter = Date.parse(cert.validTo);
  const days = Math.floor((notAfter - nowMs) / DAY_MS);
  if (notAfter <= nowMs) return { id: 'tls.certificate', status: 'problem', message: `the TLS certificate ${certPath} expired on ${cert.validTo}`, fix: 'make a new one: tether gateway rotate-cert (nodes that pinned the old one follow the signed rotation)' };
  if (days < warnDays) return { id: 'tls.certificate', status: 'warn', message: `the TLS certificate ${certPath} expires in ${days} days (${cert.validTo})`, fix: 'rotate it before then: tether gateway rotate-cert' };
  return { id: 'tls.certificate', status: 'ok', message: `the TLS certificate is valid until ${cert.validTo} (${days} days)` };
}

export function diskSpaceCheck(id: string, dir: string, minFreeBytes = 256 * 1024 * 1024): Check {
  let free: number;
  try {
    const stat = statfsSync(dir);
    free = Number(stat.bavail) * Number(stat.bsize);
  } catch (error) {
    return { id, status: 'skipped', message: `cannot measure free space for ${dir}: ${(error as Error).message}` };
  }
  const mb = Math.floor(free / (1024 * 1024));
  if (free < minFreeBytes) return { id, status: 'problem', message: `only ${mb} MB free for ${dir}`, fix: 'free disk space: old media (tether sessions, the media dir) and logs can go' };
  return { id, status: 'ok', message: `${mb} MB free for ${dir}` };
}
