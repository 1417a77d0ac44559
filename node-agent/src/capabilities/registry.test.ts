import { describe, expect, it } from 'vitest';
import { CommandError, type CapabilityProvider, type Detection } from './capability.js';
import { CapabilityRegistry } from './registry.js';
import { rejectionOf } from '../../../test/helpers/rejection.js';

function provider(family: string, commands: string[], detection: Detection | Error): CapabilityProvider {
  return {
    family,
    commands,
    detect: async () => {
      if (detection instanceof Error) throw detection;
      return detection;
    },
    run: async (command, params) => ({ ran: command, params }),
  };
}

const signal = new AbortController().signal;
const registry = (): CapabilityRegistry =>
  new CapabilityRegistry([
    provider('system', ['system.which', 'system.run'], { available: true, backend: 'child_process' }),
    provider('camera', ['camera.snap'], { available: false, reason: 'no camera found', fix: 'install v4l-utils' }),
    provider('location', ['location.get'], new Error('gpsd crashed')),
    provider('audio', ['audio.play'], { available: true, backend: 'aplay' }),
  ]);

const failure = (promise: Promise<unknown>) => rejectionOf(promise, CommandError);

describe('CapabilityRegistry', () => {
  it('reports every family and lists only available commands, sorted', async () => {
    const reg = registry();
    expect(() => reg.commands()).toThrow(/detectAll\(\) first/);
    expect(() => reg.families()).toThrow(/families\(\) called before detectAll/);
    const detections = await reg.detectAll();
    expect(detections.map((d) => [d.family, d.detection.available])).toEqual([
      ['system', true], ['camera', false], ['location', false], ['audio', true],
    ]);
    expect(detections[2]?.detection).toEqual({ available: false, reason: 'detection failed: gpsd crashed' });
    expect(reg.commands()).toEqual(['audio.play', 'system.run', 'system.which']);
    expect(reg.families()).toEqual(['audio', 'system']);
  });

  it('dispatches to the owning provider', async () => {
    const reg = registry();
    await reg.detectAll();
    expect(await reg.run('system.run', { command: ['x'] }, signal)).toEqual({ ran: 'system.run', params: { command: ['x'] } });
  });

  it('answers UNAVAILABLE for unknown commands and for unavailable providers, with the fix', async () => {
    const reg = registry();
    await reg.detectAll();
    const unknown = await failure(reg.run('system.nope', {}, signal));
    expect(unknown.code).toBe('UNAVAILABLE');
    expect(unknown.message).toMatch(/^command not supported: system.nope; this node supports: audio.play, system.run, system.which$/);
    const camera = await failure(reg.run('camera.snap', {}, signal));
    expect(camera).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'no camera found', fix: 'install v4l-utils' } });
    expect(camera.message).toBe('camera.snap is unavailable on this node: no camera found. To fix: install v4l-utils');
  });

  it('refuses two providers declaring the same command', () => {
    const a = provider('a', ['x.run'], { available: true, backend: 'a' });
    const b = provider('b', ['x.run'], { available: true, backend: 'b' });
    expect(() => new CapabilityRegistry([a, b])).toThrow(/x.run is declared by both "a" and "b"/);
  });
});
