import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  cleanLabel,
  fingerprintToTrust,
  instanceFromFqdn,
  observe,
  parseTxt,
  summarize,
  usableAddresses,
  watchGateways,
  browseGateways,
  type BrowseBonjourFactory,
  type RawService,
} from './browse.js';
import { discoverGateway, explainNoneFound, GatewayDiscoveryError } from '../discover-gateway.js';
import { PassThrough } from 'node:stream';

const FP = 'ab'.repeat(32);
const EVIL = 'ee'.repeat(32);
const txt = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => Buffer.from(`${k}=${v}`));

function raw(over: Partial<RawService> & { type?: string } = {}, t: Record<string, string> = { role: 'gateway', gatewayTls: '1', gatewayTlsSha256: FP, displayName: 'pi', protocol: '4' }): RawService {
  const type = over.type ?? 'tether-gw';
  return { fqdn: `pi._${type}._tcp.local`, name: 'pi', host: 'pi.local', port: 18789, addresses: ['10.0.0.5', 'fe80::1'], rawTxt: txt(t), referer: { address: '10.0.0.5' }, ...over };
}

describe('parsing what mDNS says (hostile inputs)', () => {
  it('TXT: first "=" splits, keys case-insensitive, first wins, non-UTF-8 and oversized dropped', () => {
    const parsed = parseTxt([
      Buffer.from('Key=a=b'),
      Buffer.from('KEY=second'),
      Buffer.from('flag'),
      Buffer.from([0x62, 0x61, 0x64, 0x3d, 0xff, 0xfe]), // bad=<invalid UTF-8>
      Buffer.alloc(300, 0x61),
      Buffer.from('=novalue'),
      Buffer.from('ctl\u0001=x'),
      'str=ok',
      42,
    ]);
    expect({ ...parsed }).toEqual({ key: 'a=b', flag: '', str: 'ok' });
    expect(parseTxt(undefined)).toEqual({});
    expect(parseTxt(Array.from({ length: 1000 }, (_, i) => Buffer.from(`k${i}=v`))).k63).toBe('v');
  });

  it('instance names may contain dots; the library cuts them at the first one', () => {
    expect(instanceFromFqdn('my.gateway._tether-gw._tcp.local', 'tether-gw')).toBe('my.gateway');
    expect(instanceFromFqdn('x._other._tcp.local', 'tether-gw')).toBeUndefined();
    const o = observe(raw({ fqdn: 'a.b.c._tether-gw._tcp.local', name: 'a' }), 'tether-gw')!;
    expect(o.instance).toBe('a.b.c');
  });

  it('labels lose controls and bidi overrides', () => {
    expect(cleanLabel('evil\u001b[2J\u202ename\n')).toBe('evil [2J name');
    expect([...cleanLabel('x'.repeat(500))].length).toBe(63);
  });

  it('keeps only usable addresses', () => {
    expect(usableAddresses(['fe80::1', 'fe80::1%eth0', '10.0.0.5', '2001:db8::5', '0.0.0.0', '224.0.0.251', '127.0.0.1', 'junk', 7], '10.0.0.5')).toEqual([
      '10.0.0.5',
      'fe80::1%eth0',
      '2001:db8::5',
    ]);
    expect(usableAddresses(['127.0.0.1'], '127.0.0.1')).toEqual(['127.0.0.1']);
  });

  it('junk answers are dropped: port 0, no host, odd hosts', () => {
    expect(observe(raw({ port: 0 }), 'tether-gw')).toBeUndefined();
    expect(observe(raw({ port: 70000 }), 'tether-gw')).toBeUndefined();
    expect(observe(raw({ host: '' }), 'tether-gw')).toBeUndefined();
    expect(observe(raw({ host: 'a b' }), 'tether-gw')).toBeUndefined();
    expect(observe(null as never, 'tether-gw')).toBeUndefined();
    // No A records: the sender's address is used.
    expect(observe(raw({ addresses: [] }), 'tether-gw')!.addresses).toEqual(['10.0.0.5']);
  });
});

describe('summarize', () => {
  it('merges the two beacons of one Tether gateway', () => {
    const list = summarize([observe(raw(), 'tether-gw')!, observe(raw({ type: 'openclaw-gw', fqdn: 'pi (OpenClaw)._openclaw-gw._tcp.local' }), 'openclaw-gw')!]);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      name: 'pi',
      addresses: ['10.0.0.5'],
      port: 18789,
      tls: true,
      fingerprint: FP,
      fingerprintVerified: false,
      protocol: 'tether',
      protocolVersion: 4,
      types: ['tether-gw', 'openclaw-gw'],
      url: 'wss://10.0.0.5:18789',
      conflicting: false,
    });
  });

  it('an OpenClaw gateway stays openclaw', () => {
    const [g] = summarize([observe(raw({ type: 'openclaw-gw', fqdn: 'mac (OpenClaw)._openclaw-gw._tcp.local' }, { gatewayTls: 'true' }), 'openclaw-gw')!]);
    expect(g).toMatchObject({ name: 'mac (OpenClaw)', protocol: 'openclaw', tls: true });
    expect(g!.fingerprint).toBeUndefined();
  });

  it('a forged answer for the same name is a hint only: flagged, every variant listed, the pin wins', () => {
    const real = observe(raw(), 'tether-gw')!;
    const forged = observe(raw({ host: 'attacker.local', port: 6666, addresses: ['10.0.0.66'], referer: { address: '10.0.0.66' } }, { gatewayTls: '1', gatewayTlsSha256: EVIL }), 'tether-gw')!;
    const [g] = summarize([real, forged]);
    expect(g!.conflicting).toBe(true);
    expect(g!.fingerprintVerified).toBe(false);
    expect(g!.variants!.map((v) => [v.port, v.fingerprint])).toEqual([
      [18789, FP],
      [6666, EVIL],
    ]);
    // The rule: whatever mDNS says, a pinned fingerprint is what is trusted.
    expect(fingerprintToTrust(FP, g!.fingerprint)).toEqual({ trust: FP, source: 'pin', mismatch: true, candidate: EVIL });
    expect(fingerprintToTrust(FP, FP)).toEqual({ trust: FP, source: 'pin', mismatch: false });
    expect(fingerprintToTrust(undefined, EVIL)).toEqual({ trust: undefined, source: 'none', mismatch: false, candidate: EVIL });
  });
});

// A fake library: each `find()` browser emits whatever `answers` currently holds.
function fakeLibrary(answers: { current: Array<{ type: string; service: RawService }> }, queryError?: Error) {
  const created: Array<{ destroyed: boolean }> = [];
  const factory: BrowseBonjourFactory = () => {
    const mdns = Object.assign(new EventEmitter(), { query: (_n: string, _t: string, cb: (e?: Error | null) => void) => setImmediate(() => cb(queryError ?? null)) });
    const me = {
      destroyed: false,
      server: { mdns },
      find: ({ type }: { type: string }) => {
        const b = new EventEmitter() as EventEmitter & { update(): void; stop(): void };
        let stopped = false;
        b.update = () => {};
        b.stop = () => void (stopped = true);
        setImmediate(() => {
          for (const a of answers.current) if (!stopped && a.type === type) b.emit('up', a.service);
        });
        return b as never;
      },
      destroy: (cb?: () => void) => {
        me.destroyed = true;
        cb?.();
      },
    };
    created.push(me);
    return me;
  };
  return { factory, created };
}

const oneIf = () => ({ eth0: [{ address: '10.0.0.2', family: 'IPv4', internal: false }] }) as never;

describe('browsing with re-queries', () => {
  it('reports a gateway that stopped answering as gone (the library never would)', async () => {
    const answers = { current: [{ type: 'tether-gw', service: raw() }] };
    const lib = fakeLibrary(answers);
    const changes: number[] = [];
    const watch = await watchGateways({ factory: lib.factory, interfaces: oneIf, requeryMs: 20, missAfterMs: 80, onChange: (l) => changes.push(l.length) });
    await new Promise((r) => setTimeout(r, 60));
    expect(watch.list()).toHaveLength(1);
    answers.current = []; // unplugged: no goodbye, no more answers
    await new Promise((r) => setTimeout(r, 200));
    expect(watch.list()).toHaveLength(0);
    expect(changes).toEqual([1, 0]);
    await watch.stop();
    expect(lib.created.every((b) => b.destroyed)).toBe(true);
  });

  it('says why nothing was found', async () => {
    const lib = fakeLibrary({ current: [] }, Object.assign(new Error('send ENETUNREACH'), { code: 'ENETUNREACH' }));
    const result = await browseGateways({ factory: lib.factory, interfaces: oneIf, timeoutMs: 150 });
    expect(result.gateways).toEqual([]);
    expect(result.problems.join('\n')).toMatch(/no multicast route/);
    const text = explainNoneFound(result, 150, ['this is WSL']);
    expect(text).toMatch(/No gateway answered.*eth0 10\.0\.0\.2/);
    expect(text).toMatch(/--mdns on/);
    expect(text).toMatch(/firewall/);
    expect(text).toMatch(/WSL/);
    const none = await browseGateways({ factory: lib.factory, interfaces: () => ({ lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] }) as never, timeoutMs: 100 });
    expect(none.problems.join()).toMatch(/besides loopback/);
  });
});

describe('discoverGateway (for node run without --url)', () => {
  const g = (name: string, address: string) => summarize([observe(raw({ fqdn: `${name}._tether-gw._tcp.local`, host: `${name}.local`, addresses: [address], referer: { address } }), 'tether-gw')!])[0]!;
  const result = (gateways: ReturnType<typeof g>[]) => async () => ({ gateways, interfaces: ['eth0 10.0.0.2'], problems: [] });

  it('returns the only one', async () => {
    await expect(discoverGateway({ browse: result([g('pi', '10.0.0.5')]) })).resolves.toMatchObject({ name: 'pi', url: 'wss://10.0.0.5:18789' });
  });
  it('refuses without a TTY when several answer, listing them', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: false });
    const error = await discoverGateway({ browse: result([g('a', '10.0.0.5'), g('b', '10.0.0.6')]), input }).catch((e) => e);
    expect(error).toBeInstanceOf(GatewayDiscoveryError);
    expect(error.code).toBe('SEVERAL_GATEWAYS');
    expect(error.message).toMatch(/wss:\/\/10\.0\.0\.5:18789[\s\S]*wss:\/\/10\.0\.0\.6:18789/);
  });
  it('asks on a TTY', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => (shown += String(d)));
    const picked = discoverGateway({ browse: result([g('a', '10.0.0.5'), g('b', '10.0.0.6')]), input, output });
    setTimeout(() => input.write('7\n2\n'), 20);
    await expect(picked).resolves.toMatchObject({ name: 'b' });
    expect(shown).toMatch(/1\) a[\s\S]*2\) b[\s\S]*from 1 to 2/);
  });
  // One name, two answers (the real one, then a forger's): never picked on its own, every variant listed.
  const forged = () =>
    summarize([
      observe(raw({ fqdn: 'pi._tether-gw._tcp.local', host: 'pi.local', addresses: ['10.0.0.5'], referer: { address: '10.0.0.5' } }), 'tether-gw')!,
      observe(
        raw({ fqdn: 'pi._tether-gw._tcp.local', host: 'evil.local', port: 6666, addresses: ['10.0.0.66'], referer: { address: '10.0.0.66' } }, { role: 'gateway', gatewayTls: '1', gatewayTlsSha256: EVIL }),
        'tether-gw',
      )!,
    ]);
  it('refuses a single conflicting entry without a TTY, listing every variant', async () => {
    expect(forged()).toHaveLength(1);
    const input = Object.assign(new PassThrough(), { isTTY: false });
    const error = await discoverGateway({ browse: result(forged()), input }).catch((e) => e);
    expect(error).toBeInstanceOf(GatewayDiscoveryError);
    expect(error.code).toBe('SEVERAL_GATEWAYS');
    expect(error.message).toMatch(/conflicting/);
    expect(error.message).toContain('wss://10.0.0.5:18789');
    expect(error.message).toContain('wss://10.0.0.66:6666');
  });
  it('asks on a TTY which variant of a conflicting entry, with its own address and fingerprint', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => (shown += String(d)));
    const picked = discoverGateway({ browse: result(forged()), input, output });
    setTimeout(() => input.write('1\n'), 20);
    await expect(picked).resolves.toMatchObject({ url: 'wss://10.0.0.5:18789', fingerprint: FP, conflicting: true });
    expect(shown).toMatch(/WARNING: conflicting/);
  });
  it('says none was found and why', async () => {
    const error = await discoverGateway({ browse: result([]), localHints: () => [] }).catch((e) => e);
    expect(error.code).toBe('NO_GATEWAY_FOUND');
    expect(error.message).toMatch(/--url/);
  });
});
