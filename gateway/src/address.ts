/**
 * The remote address as the gateway sees it, and the bucket it is counted in for per-address limits:
 * an IPv4 address as itself (IPv4-mapped IPv6 included), an IPv6 address by its /64, because one host
 * or one LAN commonly holds a whole /64 and could otherwise pick a fresh address per connection.
 */
import { isIPv6 } from 'node:net';

export function normalizeRemoteIp(raw: string | undefined): string {
  const value = raw ?? '';
  return value.toLowerCase().startsWith('::ffff:') && value.includes('.') ? value.slice(7) : value;
}

export function addressBucket(ip: string): string {
  const address = normalizeRemoteIp(ip);
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.map((group) => (group.includes('.') ? group : group.padStart(4, '0')));
}
