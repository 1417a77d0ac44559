import { describe, expect, it } from 'vitest';
import { selfOrigins } from './self-origins.js';

describe('the gateway’s own origins', () => {
  it('a loopback bind serves 127.0.0.1, localhost and [::1] on its port, nothing else', () => {
    expect(selfOrigins({ host: '127.0.0.1', port: 18789 }, false)).toEqual(['http://127.0.0.1:18789', 'http://localhost:18789', 'http://[::1]:18789']);
  });

  it('TLS means https only', () => {
    expect(selfOrigins({ host: '192.168.1.5', port: 443 }, true)).toEqual(['https://192.168.1.5']);
  });

  it('an IPv6 bind is bracketed as browsers write it', () => {
    expect(selfOrigins({ host: '::1', port: 9000 }, false)).toContain('http://[::1]:9000');
  });

  it('a wildcard bind includes loopback and never the wildcard address itself', () => {
    const origins = selfOrigins({ host: '0.0.0.0', port: 9000 }, false);
    expect(origins).toContain('http://127.0.0.1:9000');
    expect(origins).not.toContain('http://0.0.0.0:9000');
    expect(origins.every((origin) => origin.endsWith(':9000'))).toBe(true);
  });
});
