import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_GPSD_PORT, NODE_CONFIG_FILE, NodeConfigError, defaultNodeConfig, readNodeConfig } from './node-config.js';

describe('readNodeConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-node-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (value: unknown): string => {
    const path = join(dir, NODE_CONFIG_FILE);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const failure = (): NodeConfigError => {
    try {
      readNodeConfig(dir);
    } catch (error) {
      if (error instanceof NodeConfigError) return error;
      throw error;
    }
    throw new Error('readNodeConfig accepted an invalid file');
  };

  it('returns the defaults when the file is missing', () => {
    const config = readNodeConfig(dir);
    expect(config).toEqual(defaultNodeConfig());
    expect(config.location).toEqual({ gpsd: { enabled: true, host: '127.0.0.1', port: DEFAULT_GPSD_PORT }, geoclue: true });
    expect(config.media.inlineMaxBytes).toBe(1024 * 1024);
  });

  it('reads a valid file and fills in what it leaves out', () => {
    write({
      version: 1,
      camera: { source: 'lavfi:testsrc=size=1280x720:rate=30', width: 1280, height: 720, maxBytes: 500_000 },
      screen: { display: ':99' },
      location: { fixed: { lat: 48.20849, lon: 16.37208, accuracyMeters: 10 }, gpsd: { enabled: false, port: 12947 }, geoclue: false },
    });
    const config = readNodeConfig(dir);
    expect(config.camera).toEqual({ source: 'lavfi:testsrc=size=1280x720:rate=30', width: 1280, height: 720, maxBytes: 500_000 });
    expect(config.screen.display).toBe(':99');
    expect(config.location).toEqual({
      fixed: { lat: 48.20849, lon: 16.37208, accuracyMeters: 10 },
      gpsd: { enabled: false, host: '127.0.0.1', port: 12947 },
      geoclue: false,
    });
    expect(config.media.inlineMaxBytes).toBe(1024 * 1024);
  });

  it('rejects an unknown key, naming the key path and the file', () => {
    const path = write({ version: 1, location: { gpsd: { host: 'localhost', prot: 2947 } } });
    const error = failure();
    expect(error.code).toBe('NODE_CONFIG_INVALID');
    expect(error.message).toContain('"location.gpsd.prot"');
    expect(error.message).toContain(path);
  });

  it('rejects a latitude out of range', () => {
    write({ version: 1, location: { fixed: { lat: 100, lon: 16 } } });
    const error = failure();
    expect(error.message).toContain('"location.fixed.lat" must be a number between -90 and 90 (found 100)');
  });

  it.each([
    ['bad JSON', '{"version":1,', 'not valid JSON'],
    ['missing version', {}, 'missing required key "version"'],
    ['wrong version', { version: 2 }, '"version" must be 1'],
    ['fixed without lon', { version: 1, location: { fixed: { lat: 1 } } }, 'missing required key "location.fixed.lon"'],
    ['fractional port', { version: 1, location: { gpsd: { port: 29.5 } } }, '"location.gpsd.port" must be an integer'],
    ['non-boolean geoclue', { version: 1, location: { geoclue: 'yes' } }, '"location.geoclue" must be true or false'],
    ['an array at the top', [], 'the top level must be a JSON object'],
    ['a blank display', { version: 1, screen: { display: '   ' } }, '"screen.display" must be a non-empty string'],
    ['a __proto__ key', '{"version":1,"__proto__":{"camera":{}}}', 'unknown key "__proto__"; allowed keys here are version, camera, screen, location, media'],
    ['a string port', { version: 1, location: { gpsd: { port: '2947' } } }, '"location.gpsd.port" must be an integer between 1 and 65535 (found "2947")'],
    ['a section that is a list', { version: 1, camera: [] }, '"camera" must be a JSON object (found [])'],
  ])('rejects %s', (_name, content, expected) => {
    write(content);
    expect(failure().message).toContain(expected);
  });
});
