import { describe, expect, it } from 'vitest';
import type { CapabilityProvider, Detection } from './capabilities/capability.js';
import { CapabilityRegistry } from './capabilities/registry.js';
import { doctorReport, formatDoctorReport } from './doctor.js';

function fakeProvider(family: string, commands: string[], detect: () => Promise<Detection>): CapabilityProvider {
  return { family, commands, detect, run: async () => ({}) };
}

describe('doctor', () => {
  const registry = new CapabilityRegistry([
    fakeProvider('camera', ['camera.snap', 'camera.list'], async () => ({ available: false, reason: 'no camera found (no /dev/video*)', fix: 'plug in a USB webcam or set camera.source in node-config.json' })),
    fakeProvider('system', ['system.run', 'system.which'], async () => ({ available: true, backend: 'child_process' })),
    fakeProvider('screen', ['screen.snapshot'], async () => {
      throw new Error('probe crashed');
    }),
  ]);

  it('reports each family with backend, or reason and fix', async () => {
    const report = await doctorReport(registry);
    expect(report.families).toEqual([
      { family: 'camera', commands: ['camera.snap', 'camera.list'], available: false, reason: 'no camera found (no /dev/video*)', fix: 'plug in a USB webcam or set camera.source in node-config.json' },
      { family: 'screen', commands: ['screen.snapshot'], available: false, reason: 'detection failed: probe crashed' },
      { family: 'system', commands: ['system.run', 'system.which'], available: true, backend: 'child_process' },
    ]);
  });

  it('formats a table with one line per family', async () => {
    const text = formatDoctorReport(await doctorReport(registry));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^FAMILY\s+COMMANDS\s+STATUS$/);
    expect(lines).toContain(
      'camera  camera.snap, camera.list  missing: no camera found (no /dev/video*) — fix: plug in a USB webcam or set camera.source in node-config.json',
    );
    expect(lines).toContain('system  system.run, system.which  available (child_process)');
    expect(lines).toContain('screen  screen.snapshot           missing: detection failed: probe crashed');
    expect(text).toContain('2 of 3 capability families are missing');
  });

  it('says so when nothing is registered', () => {
    expect(formatDoctorReport({ families: [] })).toBe('no capability providers are registered\n');
  });
});
