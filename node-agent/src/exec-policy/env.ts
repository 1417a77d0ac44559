/**
 * Request-provided environment for system.run. Variables that change how interpreters, loaders,
 * shells or network clients behave are refused outright (not silently dropped), so a caller learns
 * why its request failed. Based on OpenClaw's host-env-security-policy.
 */
import { CommandError, CommandErrorCode } from '../capabilities/capability.js';

export const BLOCKED_REQUEST_ENV = {
  /** Exact keys, compared case-insensitively. */
  keys: [
    // interpreters and loaders
    'NODE_OPTIONS', 'NODE_PATH', 'PYTHONPATH', 'PYTHONHOME', 'PERL5LIB', 'PERL5OPT', 'RUBYOPT', 'RUBYLIB',
    'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'GLIBC_TUNABLES',
    // shells
    'BASH_ENV', 'ENV', 'SHELLOPTS', 'PS4', 'IFS', 'SHELL',
    // tools that run other programs or read other config
    'MAKEFLAGS', 'KUBECONFIG', 'GOOGLE_APPLICATION_CREDENTIALS', 'DOCKER_HOST',
    'GIT_DIR', 'GIT_WORK_TREE', 'GIT_EXEC_PATH', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_ASKPASS',
    'HOME', 'EDITOR', 'VISUAL', 'PAGER',
    // trust and package sources
    'NODE_TLS_REJECT_UNAUTHORIZED', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE',
    'NODE_EXTRA_CA_CERTS', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'GOPROXY',
    // the node decides where binaries come from
    'PATH',
  ],
  /** Key prefixes, compared case-insensitively. */
  prefixes: ['LD_', 'DYLD_', 'BASH_FUNC_', 'GIT_CONFIG_', 'NPM_CONFIG_', 'CARGO_REGISTRIES_'],
  /** Key suffixes, compared case-insensitively: HTTP_PROXY, https_proxy, ALL_PROXY, NO_PROXY, … */
  suffixes: ['_PROXY'],
  /** What a request-provided key must look like. */
  keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
} as const;

const blockedKeys: ReadonlySet<string> = new Set(BLOCKED_REQUEST_ENV.keys);

/** The rule that blocks `key`, or undefined when it may be set by a request. */
export function blockedEnvRule(key: string): string | undefined {
  const upper = key.toUpperCase();
  if (blockedKeys.has(upper)) return upper;
  const prefix = BLOCKED_REQUEST_ENV.prefixes.find((p) => upper.startsWith(p));
  if (prefix) return `${prefix}*`;
  const suffix = BLOCKED_REQUEST_ENV.suffixes.find((s) => upper.endsWith(s));
  if (suffix) return `*${suffix}`;
  return undefined;
}

/**
 * Checks the request's env and returns the child's: this process's env plus the request's keys.
 * Throws CommandError INVALID_REQUEST naming the first bad key.
 */
export function sanitizeRequestEnv(env?: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) merged[key] = value;
  }
  for (const [key, value] of Object.entries(env ?? {})) {
    if (!BLOCKED_REQUEST_ENV.keyPattern.test(key)) {
      throw invalid(`env key ${JSON.stringify(key)} is not a valid variable name: use letters, digits and _, not starting with a digit`, key);
    }
    const rule = blockedEnvRule(key);
    if (rule) {
      throw invalid(`env key ${key} is blocked for safety (rule ${rule}); remove it from the request's env`, key, rule);
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      throw invalid(`env value of ${key} must be a string without NUL characters`, key);
    }
    merged[key] = value;
  }
  return merged;
}

function invalid(message: string, key: string, rule?: string): CommandError {
  return new CommandError(CommandErrorCode.INVALID_REQUEST, message, rule ? { key, rule } : { key });
}
