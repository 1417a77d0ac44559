/** A Logger that keeps every line (all levels) in `lines`, for tests that check what was logged. */
import type { Logger } from '../../gateway/src/log.js';

export function recordingLog(lines: string[]): Logger {
  return { debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}
