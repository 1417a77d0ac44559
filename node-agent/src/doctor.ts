/**
 * `tether node doctor`: what this node can do and, for each missing family, why and how to fix it.
 * Built from a registry after detectAll(), so it shows exactly what the node would advertise.
 */
import type { CapabilityRegistry, FamilyDetection } from './capabilities/registry.js';

export interface DoctorFamily {
  family: string;
  commands: string[];
  available: boolean;
  backend?: string;
  reason?: string;
  fix?: string;
}

export interface DoctorReport {
  families: DoctorFamily[];
}

/**
 * Runs detection on every provider and reports it. The registry keeps its detections private, so
 * this calls detectAll() itself (cheap: detectors probe for at most a few hundred ms).
 */
export async function doctorReport(registry: CapabilityRegistry): Promise<DoctorReport> {
  return doctorReportFrom(await registry.detectAll());
}

/** The report for detections already in hand (the value detectAll() resolved with). */
export function doctorReportFrom(detections: readonly FamilyDetection[]): DoctorReport {
  const families = detections.map(({ family, commands, detection }): DoctorFamily => {
    const base = { family, commands: [...commands] };
    if (detection.available) return { ...base, available: true, backend: detection.backend };
    return { ...base, available: false, reason: detection.reason, ...(detection.fix ? { fix: detection.fix } : {}) };
  });
  families.sort((a, b) => a.family.localeCompare(b.family));
  return { families };
}

/** A plain-text table: one line per family, status first so missing pieces stand out. */
export function formatDoctorReport(report: DoctorReport): string {
  if (report.families.length === 0) return 'no capability providers are registered\n';
  const rows = report.families.map((f) => ({
    family: f.family,
    commands: f.commands.join(', '),
    status: f.available ? `available (${f.backend ?? 'unknown backend'})` : `missing: ${f.reason ?? 'unknown reason'}${f.fix ? ` — fix: ${f.fix}` : ''}`,
  }));
  const familyWidth = Math.max('FAMILY'.length, ...rows.map((r) => r.family.length));
  const commandsWidth = Math.max('COMMANDS'.length, ...rows.map((r) => r.commands.length));
  const line = (a: string, b: string, c: string): string => `${a.padEnd(familyWidth)}  ${b.padEnd(commandsWidth)}  ${c}`.trimEnd();
  const missing = report.families.filter((f) => !f.available).length;
  const summary = missing === 0 ? 'all capability families are available' : `${missing} of ${report.families.length} capability families are missing`;
  return [line('FAMILY', 'COMMANDS', 'STATUS'), ...rows.map((r) => line(r.family, r.commands, r.status)), '', summary, ''].join('\n');
}
