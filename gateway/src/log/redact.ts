/**
 * The one redaction pass for everything the gateway writes about itself: every log line (stderr and
 * the JSON file) and `status.recentErrors`. Two layers:
 * - shapes: credentials this mesh hands out or carries, recognised by their form (Bearer values,
 *   `token=`-style pairs, setup codes, login codes, bot tokens, random base64url runs);
 * - exact values registered when the gateway learns them (the shared token, secrets in its config),
 *   so even a weak user-chosen token that has no recognisable shape never reaches a log.
 * Device ids and fingerprints (lowercase hex) are kept: a log without them is useless.
 */
export const REDACTED = '[redacted]';

/** `key=value` / `"key": "value"` where the key names a secret (case-insensitive). */
const SECRET_PAIR = /\b([A-Za-z_-]*(?:token|secret|password|passwd|api[_-]?key|authorization|setup[_-]?code|login[_-]?code))(["']?\s*[:=]\s*["']?)([^\s"',;&)]+)/gi;
const SHAPES: RegExp[] = [
  // Authorization header values.
  /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  // Setup codes with their prefix, and bare ones (base64url of a JSON object: `{"` is `eyJ`).
  /oc-pair:\/\/[^\s"'<>]+/gi,
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{16,}/g,
  // Control UI login codes: v2.<issued>.<expires>.<nonce>.<grant>.<mac>.
  /\bv2\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{8,}\.[a-z]+\.[A-Za-z0-9_-]{16,}/g,
  // Telegram bot tokens (also inside api.telegram.org/bot<token>/… URLs).
  /(?<!\d)\d{5,}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
  // Slack tokens.
  /\bxox[abposr]-[A-Za-z0-9-]{8,}/g,
  /\bxapp-[A-Za-z0-9-]{8,}/g,
  // Discord bot tokens: <base64 id>.<timestamp>.<hmac>.
  /(?<![A-Za-z0-9_-])[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}/g,
  // OpenAI-style API keys.
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // A password in a URL's userinfo (wss://owner:hunter2@host): the password part.
  /(?<=\/\/[^\s/:@]+:)[^\s/@]+(?=@)/g,
];
/**
 * Random tokens (device, bootstrap, shared: 24-32 random bytes, base64url): a run of 32+ such
 * characters mixing upper case, lower case and digits, or of 40+ mixing upper and lower case (one
 * 43-character token in about 1,500 has no digit). Hex ids (lowercase only) do not qualify.
 */
const RANDOM_RUN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g;
const looksRandom = (run: string): boolean => /[A-Z]/.test(run) && /[a-z]/.test(run) && (/[0-9]/.test(run) || run.length >= 40);
/** Any long opaque run (hex ids too): only for text shown to other readers (status.recentErrors). */
const OPAQUE_RUN = /[A-Za-z0-9_-]{32,}/g;

/** Shorter values would blank out ordinary words; such a token is a finding for `tether security audit`. */
export const MIN_KNOWN_SECRET_CHARS = 8;
const MAX_KNOWN_SECRETS = 256;
const known = new Set<string>();

/** Registers a secret value to be replaced wherever it appears. Returns false when it is too short to redact safely. */
export function registerSecret(value: string | undefined): boolean {
  if (typeof value !== 'string') return false;
  const secret = value.trim();
  if (secret.length < MIN_KNOWN_SECRET_CHARS) return false;
  if (known.has(secret)) return true;
  known.add(secret);
  // Bounded: a process that starts many gateways (tests) keeps the newest.
  if (known.size > MAX_KNOWN_SECRETS) known.delete(known.values().next().value as string);
  return true;
}

const SECRET_KEY = /(token|secret|password|passwd|api[_-]?key|authorization)$/i;

/** Registers every string under a secret-named key of `value` (a config object), to any depth. */
export function registerSecretsIn(value: unknown, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (typeof child === 'string' && SECRET_KEY.test(key)) registerSecret(child);
    else registerSecretsIn(child, depth + 1);
  }
}

/** Whether `key` names a secret: structured log fields with such keys are redacted whole. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || /setup[_-]?code|login[_-]?code/i.test(key);
}

/** `text` with every registered secret and every credential-shaped part replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const shape of SHAPES) out = out.replace(shape, (match) => (/^(bearer|basic)\s/i.test(match) ? `${match.split(/\s+/)[0]} ${REDACTED}` : REDACTED));
  out = out.replace(SECRET_PAIR, (match, key: string, separator: string, value: string) =>
    value === REDACTED || /^(bearer|basic)$/i.test(value) ? match : `${key}${separator}${REDACTED}`,
  );
  return out.replace(RANDOM_RUN, (run) => (looksRandom(run) ? REDACTED : run));
}

/** Stricter, for text shown outside the log (status.recentErrors): any long opaque run goes too. */
export function redactStrict(text: string): string {
  return redact(text).replace(OPAQUE_RUN, REDACTED);
}

/** Only for tests: forget the registered values. */
export function forgetSecretsForTest(): void {
  known.clear();
}
