import { describe, expect, it } from 'vitest';
import { addressBucket } from './address-bucket.js';

describe('addressBucket', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['::ffff:a00:1', '10.0.0.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:abcd::9', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
    ['::1', 'loopback'],
    ['127.0.0.1', 'loopback'],
    // A local process cannot multiply its buckets by picking other loopback addresses.
    ['127.0.0.2', 'loopback'],
    ['127.255.3.9', 'loopback'],
    ['::ffff:127.0.0.5', 'loopback'],
  ])('%s → %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });

  it.each([undefined, '', 'not-an-ip', '10.0.0', '2001:db8:::1'])('keeps %j in one bucket of its own, apart from real addresses', (ip) => {
    expect(addressBucket(ip)).toBe('unknown');
  });
});
