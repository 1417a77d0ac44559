/**
 * DNS-SD naming and TXT records for the gateway's beacons, kept inside the limits the wire imposes:
 * an instance name is one DNS label (≤ 63 bytes of UTF-8), a TXT string `key=value` is ≤ 255 bytes
 * (bonjour-service does not check: a longer one makes dns-packet throw "Buffer overflow" and the
 * service silently never announces). Every cut happens at a UTF-8 character boundary.
 */
import { hostname as osHostname } from 'node:os';
import { PROTOCOL_VERSION } from '@tether/protocol';

/** `_tether-gw._tcp` for Tether's own clients, `_openclaw-gw._tcp` for OpenClaw's apps and nodes. */
export const TETHER_SERVICE_TYPE = 'tether-gw';
export const OPENCLAW_SERVICE_TYPE = 'openclaw-gw';
export const SERVICE_TYPES = [TETHER_SERVICE_TYPE, OPENCLAW_SERVICE_TYPE] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const MAX_LABEL_BYTES = 63;
export const MAX_TXT_STRING_BYTES = 255;
/** Values are capped below the hard limit (Home Assistant uses 230 too), so key + '=' always fits. */
export const MAX_TXT_VALUE_BYTES = 230;
/** RFC 6763 §6.1: keep the whole TXT record small; a typical beacon here is ~250 bytes. */
export const MAX_TXT_RECORD_BYTES = 1300;

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** The longest prefix of `text` whose UTF-8 encoding is ≤ `maxBytes`, never splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const char of text) {
    // A lone surrogate encodes as U+FFFD (3 bytes); count it that way.
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += char;
  }
  return out;
}

/** Control characters (C0, DEL, C1) are not welcome in a name people read; replaced by spaces. */
function cleanName(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The first label of the host name if it is a valid DNS label (letters, digits, hyphens; ≤ 63), else
 * `tether`. `.local` is stripped; the SRV target is `<label>.local`.
 */
export function hostLabel(hostname: string = osHostname()): string {
  const first = (hostname.replace(/\.local\.?$/i, '').split('.')[0] ?? '').trim();
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(first) ? first : 'tether';
}

/**
 * The DNS-SD instance name: the configured name, else the host label, cleaned of control characters and
 * cut to 63 UTF-8 bytes. Dots are allowed by DNS-SD but bonjour-service turns them into '-' (and its
 * browser splits names at the first dot), so they are replaced here, where the result is visible.
 */
export function instanceName(configured: string | undefined, hostname: string = osHostname()): string {
  const base = cleanName((configured ?? '').replace(/\./g, '-'));
  const name = truncateUtf8(base || hostLabel(hostname), MAX_LABEL_BYTES).trim();
  return name || 'tether';
}

/**
 * `name (2)`, `name (3)` …: the base is cut so the suffix always fits in one label, and a suffix already
 * present (`name (2)` → `name (3)`) is replaced rather than stacked.
 */
export function renamedInstance(name: string, attempt: number): string {
  const base = name.replace(/ \(\d+\)$/, '');
  const suffix = ` (${attempt})`;
  return `${truncateUtf8(base, MAX_LABEL_BYTES - utf8Length(suffix)).trimEnd()}${suffix}`;
}

/** OpenClaw appends " (OpenClaw)" to its instance names unless they already say so; we do the same on its type. */
export function openclawInstanceName(name: string): string {
  if (/openclaw/i.test(name)) return truncateUtf8(name, MAX_LABEL_BYTES);
  const suffix = ' (OpenClaw)';
  return `${truncateUtf8(name, MAX_LABEL_BYTES - utf8Length(suffix)).trimEnd()}${suffix}`;
}

export interface BeaconInfo {
  /** The instance name shown to people (without " (OpenClaw)"). */
  displayName: string;
  /** The SRV target host label, without `.local`. */
  hostLabel: string;
  port: number;
  /** Lowercase hex SHA-256 of the certificate DER (colons allowed; normalized here), when TLS is on. */
  tlsFingerprint?: string;
  tls?: boolean;
}

/** 64 lowercase hex digits, or undefined when `value` is not a SHA-256 fingerprint in any common spelling. */
export function normalizeFingerprint(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const hex = value.trim().replace(/^sha-?256[:=]?/i, '').replace(/[:\s-]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * The TXT keys OpenClaw's clients read (role, transport, displayName, lanHost, gatewayPort, gatewayTls,
 * gatewayTlsSha256) plus Tether's `protocol` and `txtvers`. All values are strings within the limits.
 */
export function buildTxt(info: BeaconInfo, type: ServiceType): Record<string, string> {
  const tlsFingerprint = normalizeFingerprint(info.tlsFingerprint);
  const tls = info.tls ?? tlsFingerprint !== undefined;
  const txt: Record<string, string> = {
    txtvers: '1',
    role: 'gateway',
    transport: 'gateway',
    displayName: info.displayName,
    lanHost: `${info.hostLabel}.local`,
    gatewayPort: String(info.port),
  };
  if (tls) txt.gatewayTls = '1';
  if (tls && tlsFingerprint) txt.gatewayTlsSha256 = tlsFingerprint;
  if (type === TETHER_SERVICE_TYPE) txt.protocol = String(PROTOCOL_VERSION);
  return capTxt(txt);
}

/** Every `key=value` within 255 bytes (values cut at a character boundary); oversized keys are dropped. */
export function capTxt(txt: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let total = 0;
  for (const [key, raw] of Object.entries(txt)) {
    // RFC 6763 §6.4: printable US-ASCII other than '=', at least one character; we also keep them short.
    if (!/^[\x21-\x3c\x3e-\x7e]{1,64}$/.test(key)) continue;
    const room = Math.min(MAX_TXT_VALUE_BYTES, MAX_TXT_STRING_BYTES - key.length - 1);
    const value = truncateUtf8(String(raw), room);
    const size = 1 + key.length + 1 + utf8Length(value);
    if (total + size > MAX_TXT_RECORD_BYTES) continue;
    total += size;
    out[key] = value;
  }
  return out;
}
