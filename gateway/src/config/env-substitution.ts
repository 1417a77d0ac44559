/**
 * `${NAME}` in tether.json's string values reads the environment; `$${` is a literal `${`. One
 * implementation for the whole file (channel secrets included), so every key follows the same rule.
 */
export class EnvSubstitutionError extends Error {
  readonly code = 'CONFIG_ENV_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'EnvSubstitutionError';
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces each `${NAME}` in `value`; `key` names the config key in errors. */
export function substituteEnvString(value: string, key: string, env: NodeJS.ProcessEnv): string {
  if (!value.includes('$')) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch === '$' && value[i + 1] === '$' && value[i + 2] === '{') {
      out += '${';
      i += 3;
      continue;
    }
    if (ch === '$' && value[i + 1] === '{') {
      const end = value.indexOf('}', i + 2);
      const name = end < 0 ? undefined : value.slice(i + 2, end);
      if (name === undefined || !NAME.test(name)) {
        throw new EnvSubstitutionError(
          `${key}: "\${" must be followed by an environment variable name and "}" (letters, digits, _), got "${value.slice(i, end < 0 ? undefined : end + 1).slice(0, 40)}"; write "$\${" for a literal "\${"`,
        );
      }
      const resolved = env[name];
      // An empty variable is as good as unset for a config value: refuse it rather than run with "".
      if (resolved === undefined || resolved === '') {
        throw new EnvSubstitutionError(`${key} uses \${${name}} but the environment variable ${name} is not set (or empty): set it for the gateway, or write "$\${${name}}" for the literal text`);
      }
      out += resolved;
      i = end + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** A copy of `value` with every string substituted; keys are never substituted. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, at = ''): unknown {
  if (typeof value === 'string') return substituteEnvString(value, at || '(root)', env);
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, `${at}[${index}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: substituteEnv(item, env, at ? `${at}.${key}` : key), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
