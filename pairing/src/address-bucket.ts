/**
 * Which "address" a remote peer counts as for per-address limits. Loopback is one bucket, one IPv4 address is one,
 * an IPv4-mapped IPv6 address counts as its IPv4 address, and IPv6 counts by /64: a single host is
 * usually handed a whole /64, so per-address limits on full IPv6 addresses would bound nothing.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Every loopback address (127.0.0.0/8, ::1) is one bucket: they are all this machine. */
export const LOOPBACK_BUCKET = 'loopback';

/** Peers whose address is missing or unparseable share one bucket, so they cannot dodge the limit. */
export const UNKNOWN_ADDRESS_BUCKET = 'unknown';

/**
 * Every admission of an unknown device buckets every held request's address (up to 256), and parsing
 * IPv6 costs microseconds each: remembered answers keep a flood's admissions cheap. Bounded, because
 * the addresses come from peers; cleared whole when full, which costs one re-parse per held request.
 */
const MEMO_LIMIT = 4096;
const memo = new Map<string, string>();

export function addressBucket(remoteIp: string | undefined): string {
  if (remoteIp === undefined) return UNKNOWN_ADDRESS_BUCKET;
  const known = memo.get(remoteIp);
  if (known !== undefined) return known;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  const bucket = parseBucket(remoteIp);
  memo.set(remoteIp, bucket);
  return bucket;
}

function parseBucket(remoteIp: string): string {
  // node:net is strict (ipaddr.js alone accepts inet_aton forms such as "10.0.0"); ipaddr.js does the arithmetic.
  if (isIP(remoteIp) === 0) return UNKNOWN_ADDRESS_BUCKET;
  const address = ipaddr.process(remoteIp); // unwraps ::ffff:a.b.c.d
  // One machine owns all of 127/8 and ::1: a local process could otherwise pick a fresh bucket per address.
  if (address.range() === 'loopback') return LOOPBACK_BUCKET;
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...prefix, 0, 0, 0, 0]).toString()}/64`;
}
