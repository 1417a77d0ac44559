/**
 * `tether node doctor`: what this node can do and, for each missing family, why and how to fix it.
 * Built from a registry after detectAll(), so it shows exactly what the node would advertise.
 */
import type { CapabilityRegistry, FamilyDetection } from './capabilities/registry.js';
import { SHARP_MISSING_EFFECT, imageLibraryStatus, type ImageLibraryStatus } from './capabilities/media/image.js';

export interface DoctorFamily {
  family: string;
  commands: string[];
  available: boolean;
  backend?: string;
  reason?: string;
  fix?: string;
}

/** sharp, the optional image library: whether captures are downscaled, or sent as the tool made them. */
export interface DoctorImages {
  sharp: 'installed' | 'not-installed' | 'broken';
  version?: string;
  error?: string;
  /** What that means for camera.snap and screen.snapshot, in words. */
  effect: string;
  fix?: string;
}

export interface DoctorReport {
  families: DoctorFamily[];
  images?: DoctorImages;
}

export interface DoctorOptions {
  /** Whether sharp loads (tests pass their own). */
  imageLibrary?: () => Promise<ImageLibraryStatus>;
}

/**
 * Runs detection on every provider and reports it. The registry keeps its detections private, so
 * this calls detectAll() itself (cheap: detectors probe for at most a few hundred ms).
 */
export async function doctorReport(registry: CapabilityRegistry, options: DoctorOptions = {}): Promise<DoctorReport> {
  const [detections, images] = await Promise.all([registry.detectAll(), (options.imageLibrary ?? imageLibraryStatus)()]);
  return doctorReportFrom(detections, images);
}

export function doctorImages(status: ImageLibraryStatus): DoctorImages {
  if (status.state === 'installed') {
    return { sharp: 'installed', ...(status.version ? { version: status.version } : {}), effect: 'captures are downscaled and recompressed to fit the request' };
  }
  if (status.state === 'not-installed') {
    return { sharp: 'not-installed', effect: SHARP_MISSING_EFFECT, fix: 'to downscale captures, install the node package with its optional dependencies (no --omit=optional)' };
  }
  return { sharp: 'broken', error: status.error, effect: SHARP_MISSING_EFFECT, fix: 'npm rebuild sharp where the node is installed' };
}

/** The report for detections already in hand (the value detectAll() resolved with). */
export function doctorReportFrom(detections: readonly FamilyDetection[], images?: ImageLibraryStatus): DoctorReport {
  const families = detections.map(({ family, commands, detection }): DoctorFamily => {
    const base = { family, commands: [...commands] };
    if (detection.available) return { ...base, available: true, backend: detection.backend };
    return { ...base, available: false, reason: detection.reason, ...(detection.fix ? { fix: detection.fix } : {}) };
  });
  families.sort((a, b) => a.family.localeCompare(b.family));
  return images ? { families, images: doctorImages(images) } : { families };
}

/** One line: "sharp: not installed — captures are sent as the capture tool made them (no downscaling)". */
export function formatImagesLine(images: DoctorImages): string {
  if (images.sharp === 'installed') return `sharp: installed${images.version ? ` (${images.version})` : ''} — ${images.effect}`;
  if (images.sharp === 'not-installed') return `sharp: not installed — ${images.effect}`;
  return `sharp: cannot load (${images.error ?? 'unknown error'}) — ${images.effect}; fix: ${images.fix ?? 'npm rebuild sharp'}`;
}

/** A plain-text table: one line per family, status first so missing pieces stand out. */
export function formatDoctorReport(report: DoctorReport): string {
  const imagesLine = report.images ? [formatImagesLine(report.images)] : [];
  if (report.families.length === 0) return ['no capability providers are registered', ...imagesLine, ''].join('\n');
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
  return [line('FAMILY', 'COMMANDS', 'STATUS'), ...rows.map((r) => line(r.family, r.commands, r.status)), '', ...imagesLine, summary, ''].join('\n');
}
