import { describe, expect, it } from 'vitest';
import { dashboardUrl } from './dashboard.js';

describe('tether dashboard links', () => {
  it.each([
    ['ws://127.0.0.1:18789', 'http://127.0.0.1:18789/#code=C'],
    ['wss://gw.example:8443', 'https://gw.example:8443/#code=C'],
    ['ws://0.0.0.0:18789', 'http://127.0.0.1:18789/#code=C'],
    ['ws://[::]:18789', 'http://[::1]:18789/#code=C'],
    ['ws://[fe80::1]:9', 'http://[fe80::1]:9/#code=C'],
    // Whatever else the URL carried is dropped: the link is the page, the code in its fragment, nothing more.
    ['ws://user:secret@127.0.0.1:18789/some/path?token=x#frag', 'http://127.0.0.1:18789/#code=C'],
  ])('%s → %s', (gateway, link) => {
    expect(dashboardUrl(gateway, 'C')).toBe(link);
  });

  it('without a code (auth mode none) the link is the bare page', () => {
    expect(dashboardUrl('ws://127.0.0.1:18789', undefined)).toBe('http://127.0.0.1:18789/');
  });
});
