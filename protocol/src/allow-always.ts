/**
 * Where "always allow this program" means "allow anything": shells, interpreters and wrappers that run
 * whatever their arguments say. Chat approvals and the Control UI do not offer "Always" for them (the
 * CLI still can, with --always). Pure, with no Node imports, so the Control UI's page uses it too.
 */
const INTERPRETER =
  /^(sh|bash|zsh|dash|ash|ksh|mksh|fish|csh|tcsh|busybox|env|sudo|doas|su|xargs|nohup|timeout|nice|python[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby|php[0-9.]*|lua[0-9.]*|luajit|tclsh|wish|awk|gawk|mawk|osascript|pwsh|powershell)$/;

/** The last segment of a path. */
export function programName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when allowing this program always would let it run any other program. */
export function alwaysWouldAllowAnything(approval: { resolvedPath: string; argv: readonly string[] }): boolean {
  return INTERPRETER.test(programName(approval.resolvedPath)) || INTERPRETER.test(programName(approval.argv[0] ?? ''));
}
