import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardUrl, writeRedirectPage } from './dashboard.js';

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

describe('the page a browser is opened with', () => {
  it('is a private file that sends the browser on to the link (the link never appears in a command line)', () => {
    const path = writeRedirectPage('http://127.0.0.1:18789/#code=v2.a.b.c.rwpax.d');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toContain('content="0;url=http://127.0.0.1:18789/#code=v2.a.b.c.rwpax.d"');
  });

  it('escapes what could end the attribute', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-redirect-test-'));
    const text = readFileSync(writeRedirectPage('http://h/"><script>alert(1)</script>&', dir), 'utf8');
    expect(text).not.toContain('<script>');
    expect(text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;');
  });
});
