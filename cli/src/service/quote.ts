/**
 * Quoting for the two formats a service file is written in. Every value baked into a unit (paths, the
 * gateway URL, a display name) comes from a person's flags or environment, so each one is either
 * quoted so that systemd or launchd reads back exactly the same string, or refused with a message.
 */

export class ServiceValueError extends Error {
  readonly code = 'SERVICE_BAD_VALUE';
}

/**
 * Control characters are refused rather than escaped: systemd would accept `\n` inside quotes, but a
 * path with a line break is almost always a mistake or an attack, and a plist cannot carry most C0
 * characters at all (XML 1.0 forbids them).
 */
export function assertPrintable(label: string, value: string): void {
  const bad = /[\u0000-\u001f\u007f]/.exec(value);
  if (bad) {
    const shown = `\\x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')}`;
    throw new ServiceValueError(`${label} contains a control character (${shown}); a service file cannot carry it safely. Use a value without line breaks or control characters.`);
  }
}

/**
 * One word of an ExecStart= line (systemd.service(5), "Command lines"): double-quoted, with `\` and `"`
 * backslash-escaped, `%` doubled (specifiers are expanded in ExecStart=) and `$` doubled (so `$HOME`
 * in a path stays literal instead of being replaced by an environment variable).
 */
export function execStartWord(label: string, value: string): string {
  assertPrintable(label, value);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** A whole ExecStart= value from argv. */
export function execStartLine(argv: readonly { label: string; value: string }[]): string {
  return argv.map(({ label, value }) => execStartWord(label, value)).join(' ');
}

/**
 * One Environment= assignment. Environment= unquotes and C-unescapes, and expands specifiers, but does
 * NOT expand `$` (so `$` stays as is; doubling it would write `$$` into the variable).
 */
export function environmentAssignment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ServiceValueError(`environment variable name "${name}" is not valid`);
  assertPrintable(name, value);
  return `"${name}=${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** A path in a path-list setting (ReadWritePaths=): quoted like Environment= (unquoted, specifiers expanded). */
export function pathListWord(label: string, value: string): string {
  assertPrintable(label, value);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** Text inside a plist <string>: XML escaping; control characters were refused already. */
export function xmlText(label: string, value: string): string {
  assertPrintable(label, value);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
