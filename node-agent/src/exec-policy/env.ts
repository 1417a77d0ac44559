/**
 * Request-provided environment for system.run. Variables that make a program load code, run another
 * program, read its config from elsewhere, write a file of the caller's choosing, or change whom it
 * trusts are refused outright (not silently dropped), so a caller learns why its request failed.
 * Based on OpenClaw's host-env-security-policy, extended with the gaps review finding 19 listed.
 * A deny-list cannot be complete; it backs up the allowlist (which binds binary, name and arguments),
 * it does not replace it.
 */
import { CommandError, CommandErrorCode } from '../capabilities/capability.js';

export const BLOCKED_REQUEST_ENV = {
  /** Exact keys, compared case-insensitively. */
  keys: [
    // interpreters and loaders: code from a path or a module name of the caller's choosing
    'NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_ICU_DATA',
    'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'PYTHONPLATLIBDIR', 'PYTHONEXECUTABLE',
    // PYTHONWARNINGS imports the module named in a warning category; PYTHONBREAKPOINT calls any callable
    'PYTHONWARNINGS', 'PYTHONBREAKPOINT',
    'PERL5LIB', 'PERLLIB', 'PERL5OPT', 'PERL5DB', 'RUBYOPT', 'RUBYLIB', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_GEMFILE',
    'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH',
    'PHPRC', 'PHP_INI_SCAN_DIR', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER', 'TCLLIBPATH', 'ERL_LIBS',
    // the C library: gconv modules and OpenSSL engines/providers are shared objects it loads
    'GLIBC_TUNABLES', 'GCONV_PATH', 'GETCONF_DIR', 'LOCPATH', 'NLSPATH', 'HOSTALIASES',
    'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES',
    // shells: startup files, prompts and options that run code
    'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS0', 'PS1', 'PS2', 'PS4', 'PROMPT_COMMAND', 'ZDOTDIR', 'CDPATH', 'IFS', 'SHELL',
    // tools that run another program, or read their config from elsewhere
    'MAKEFLAGS', 'CONFIG_SITE', 'KUBECONFIG', 'GOOGLE_APPLICATION_CREDENTIALS', 'DOCKER_HOST',
    'HOME', 'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'CURL_HOME', 'WGETRC',
    'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'SYSTEMD_PAGER', 'SYSTEMD_EDITOR', 'SUDO_EDITOR', 'FCEDIT', 'BROWSER',
    'SSH_ASKPASS', 'SUDO_ASKPASS', 'LESSOPEN', 'LESSCLOSE', 'LESSKEY', 'LESSKEYIN', 'LESSKEY_CONTENT', 'LESSEDIT',
    // files written where the caller says: TLS secrets, malloc traces, warnings, coverage, temp files
    'SSLKEYLOGFILE', 'MALLOC_TRACE', 'NODE_REDIRECT_WARNINGS', 'NODE_V8_COVERAGE', 'PYTHONPYCACHEPREFIX', 'TMPDIR',
    // trust and package sources
    'NODE_TLS_REJECT_UNAUTHORIZED', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE',
    'NODE_EXTRA_CA_CERTS', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'GOPROXY',
    // the node decides where binaries come from
    'PATH',
  ],
  /**
   * Key prefixes, compared case-insensitively. GIT_ as a whole: git reads dozens of variables that
   * run programs (GIT_PAGER, GIT_EXTERNAL_DIFF, GIT_PROXY_COMMAND), move its config or repository,
   * write trace files or enable the ext:: transport, and adds new ones; only identity is let through.
   */
  prefixes: ['LD_', 'DYLD_', 'BASH_FUNC_', 'GIT_', 'LUA_', 'NPM_CONFIG_', 'CARGO_REGISTRIES_'],
  /** Key suffixes, compared case-insensitively: HTTP_PROXY, https_proxy, ALL_PROXY, NO_PROXY, … */
  suffixes: ['_PROXY'],
  /** Exceptions to the prefixes: who a commit is by changes no program and no file. */
  allowedKeys: ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE'],
  /** What a request-provided key must look like. */
  keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
} as const;

const blockedKeys: ReadonlySet<string> = new Set(BLOCKED_REQUEST_ENV.keys);
const allowedKeys: ReadonlySet<string> = new Set(BLOCKED_REQUEST_ENV.allowedKeys);

/** The rule that blocks `key`, or undefined when it may be set by a request. */
export function blockedEnvRule(key: string): string | undefined {
  const upper = key.toUpperCase();
  if (blockedKeys.has(upper)) return upper;
  if (allowedKeys.has(upper)) return undefined;
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
