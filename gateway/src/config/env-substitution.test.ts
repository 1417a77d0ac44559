import { describe, expect, it } from 'vitest';
import { EnvSubstitutionError, substituteEnv, substituteEnvString } from './env-substitution.js';

describe('${ENV} substitution', () => {
  it('refuses a missing or empty variable, naming the key and the variable (never a value)', () => {
    expect(() => substituteEnv({ gateway: { auth: { token: '${NOPE_TOKEN}' } } }, {})).toThrow(/gateway\.auth\.token uses \$\{NOPE_TOKEN\} but the environment variable NOPE_TOKEN is not set/);
    expect(() => substituteEnvString('${EMPTY}', 'k', { EMPTY: '' })).toThrow(EnvSubstitutionError);
    expect(() => substituteEnv({ nodes: { allowCommands: ['x', '${A}'] } }, {})).toThrow(/nodes\.allowCommands\[1\]/);
  });

  it('refuses malformed references instead of passing them through', () => {
    for (const bad of ['${', '${}', '${1ABC}', '${A-B}', '${A', 'x${ A }']) {
      expect(() => substituteEnvString(bad, 'k', { A: 'v' }), bad).toThrow(/must be followed by an environment variable name/);
    }
  });

  it('substitutes inside strings, keeps $$ { as a literal ${, and never re-expands a value', () => {
    const env = { HOST: 'pi.lan', LOOP: '${HOST}' };
    expect(substituteEnvString('https://${HOST}:8443', 'k', env)).toBe('https://pi.lan:8443');
    expect(substituteEnvString('$${HOST}', 'k', env)).toBe('${HOST}');
    expect(substituteEnvString('cost $5 and $$x', 'k', env)).toBe('cost $5 and $$x');
    expect(substituteEnvString('${LOOP}', 'k', env)).toBe('${HOST}');
  });

  it('never substitutes keys, and leaves non-strings alone', () => {
    const out = substituteEnv({ '${A}': 1, b: [true, null, 3] }, { A: 'x' }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['${A}', 'b']);
    expect(out.b).toEqual([true, null, 3]);
  });
});
