/**
 * The device proof's signed payloads (v3, v2), without node:crypto, so the Control UI's page builds
 * exactly the string the gateway verifies. Field order and normalisation follow OpenClaw's
 * `device-auth.ts`, so signatures verify on either side.
 */
/** ASCII-only lowercase, as OpenClaw does (locale-independent and stable across runtimes). */
export function normalizeMetadataField(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}

export interface DeviceAuthPayloadInput {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAtMs: number;
  token: string;
  nonce: string;
  platform?: string;
  deviceFamily?: string;
}

export function buildDeviceAuthPayloadV3(p: DeviceAuthPayloadInput): string {
  return [
    buildDeviceAuthPayloadV2(p).replace(/^v2\|/, 'v3|'),
    normalizeMetadataField(p.platform),
    normalizeMetadataField(p.deviceFamily),
  ].join('|');
}

export function buildDeviceAuthPayloadV2(p: DeviceAuthPayloadInput): string {
  return ['v2', p.deviceId, p.clientId, p.clientMode, p.role, p.scopes.join(','), String(p.signedAtMs), p.token, p.nonce].join(
    '|',
  );
}

/** The token field the signature covers: `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""`. */
export function signatureToken(auth: { token?: string; deviceToken?: string; bootstrapToken?: string } | undefined): string {
  return auth?.token ?? auth?.deviceToken ?? auth?.bootstrapToken ?? '';
}


/**
 * What the Control UI's page signs to log in (`POST /ui/login`): the credential it presents (the
 * one-time code, or the gateway token), bound to the key it asks to pair.
 */
export function buildUiLoginPayload(publicKey: string, credential: string): string {
  return `tether-ui-login\nv1\n${publicKey}\n${credential}`;
}
