import { describe, expect, it } from 'vitest';
import { CommandError } from '../capabilities/capability.js';
import { BLOCKED_REQUEST_ENV, sanitizeRequestEnv } from './env.js';

function rejection(env: Record<string, string>): CommandError {
  try {
    sanitizeRequestEnv(env);
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('sanitizeRequestEnv', () => {
  it.each([
    'NODE_OPTIONS', 'node_options', 'PYTHONPATH', 'BASH_ENV', 'IFS', 'Home', 'GIT_SSH_COMMAND', 'KUBECONFIG',
    'HTTP_PROXY', 'https_proxy', 'ALL_PROXY', 'no_proxy', 'FTP_PROXY', 'SSL_CERT_FILE', 'DOCKER_HOST', 'PATH', 'Path',
    'LD_PRELOAD', 'ld_library_path', 'DYLD_INSERT_LIBRARIES', 'BASH_FUNC_x%%', 'GIT_CONFIG_COUNT', 'npm_config_registry',
    'CARGO_REGISTRIES_X_INDEX',
  ])('rejects %s, naming it', (key) => {
    const error = rejection({ SAFE: '1', [key]: 'x' });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(key);
    expect(error.message).toMatch(/^env key .* (is blocked for safety|is not a valid variable name)/);
  });

  // Finding 19: variables that make a program load code, run a command, or read or write a file of the caller's choosing.
  it.each([
    'GCONV_PATH', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES', 'SSLKEYLOGFILE', 'LOCPATH', 'NLSPATH', 'HOSTALIASES', 'MALLOC_TRACE',
    'PERLLIB', 'PERL5DB', 'PYTHONWARNINGS', 'PYTHONSTARTUP', 'PYTHONUSERBASE', 'PYTHONBREAKPOINT', 'PYTHONPLATLIBDIR', 'PYTHONPYCACHEPREFIX',
    'GIT_EXTERNAL_DIFF', 'GIT_PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_PROXY_COMMAND', 'GIT_TEMPLATE_DIR', 'GIT_CONFIG',
    'GIT_ALLOW_PROTOCOL', 'GIT_TRACE', 'GIT_INDEX_FILE', 'GIT_SOMETHING_NEW',
    'LESSOPEN', 'LESSCLOSE', 'LESSKEY', 'LESSEDIT', 'MANPAGER', 'SYSTEMD_PAGER', 'BROWSER', 'SSH_ASKPASS', 'SUDO_ASKPASS',
    'PROMPT_COMMAND', 'PS0', 'PS1', 'ZDOTDIR', 'CDPATH', 'BASHOPTS', 'TMPDIR', 'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'CURL_HOME', 'WGETRC',
    'NODE_REPL_EXTERNAL_MODULE', 'NODE_REDIRECT_WARNINGS', 'NODE_V8_COVERAGE', 'NODE_ICU_DATA',
    'CLASSPATH', 'JDK_JAVA_OPTIONS', 'GEM_HOME', 'GEM_PATH', 'LUA_INIT', 'LUA_PATH', 'LUA_CPATH', 'PHPRC', 'PHP_INI_SCAN_DIR',
    'R_PROFILE', 'R_PROFILE_USER', 'CONFIG_SITE', 'LUA_INIT_5_4',
  ])('rejects the code-loading or file-redirecting %s', (key) => {
    const error = rejection({ [key]: '/tmp/x' });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toMatchObject({ key });
    expect(error.message).toMatch(new RegExp(`^env key ${key} is blocked for safety \\(rule [A-Z0-9_*]+\\)`));
  });

  it('still lets a request set git identity variables', () => {
    const env = sanitizeRequestEnv({ GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@x', GIT_AUTHOR_DATE: '0', GIT_COMMITTER_DATE: '0' });
    expect(env).toMatchObject({ GIT_AUTHOR_NAME: 'A', GIT_COMMITTER_EMAIL: 'c@x' });
  });

  it('says a blocked key is blocked for safety', () => {
    expect(rejection({ LD_PRELOAD: '/tmp/x.so' }).message).toBe(
      'env key LD_PRELOAD is blocked for safety (rule LD_*); remove it from the request\'s env',
    );
  });

  it.each(['1ABC', 'A-B', 'A B', 'A=B', ''])('rejects the malformed key %j', (key) => {
    expect(rejection({ [key]: 'x' }).message).toMatch(/is not a valid variable name/);
  });

  it('rejects NUL in values', () => {
    expect(rejection({ FOO: 'a\0b' }).message).toMatch(/FOO must be a string without NUL/);
  });

  it('rejects every listed key and prefix', () => {
    for (const key of BLOCKED_REQUEST_ENV.keys) expect(rejection({ [key]: 'x' }).code).toBe('INVALID_REQUEST');
    for (const prefix of BLOCKED_REQUEST_ENV.prefixes) expect(rejection({ [`${prefix}X`]: 'x' }).code).toBe('INVALID_REQUEST');
  });

  it('passes allowed keys through, on top of the process env', () => {
    const env = sanitizeRequestEnv({ FOO: 'bar', LANG: 'C.UTF-8', TERM: 'dumb', _X1: '', PROXY_MODE: 'on', TZ: 'UTC', LC_ALL: 'C', LESS: '-R', PYTHONUNBUFFERED: '1' });
    expect(env).toMatchObject({ FOO: 'bar', LANG: 'C.UTF-8', TERM: 'dumb', _X1: '', PROXY_MODE: 'on', TZ: 'UTC', LC_ALL: 'C', LESS: '-R', PYTHONUNBUFFERED: '1' });
    expect(env.PATH).toBe(process.env.PATH);
  });

  it('returns the process env when the request has none', () => {
    expect(sanitizeRequestEnv()).toEqual(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)));
  });
});
