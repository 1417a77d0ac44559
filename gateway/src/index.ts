export * from './config.js';
export * from './state-dir.js';
export * from './server.js';
export * from './log.js';
export { TETHER_VERSION } from './version.js';
export type { GatewayContext } from './context.js';
export { installProcessGuards, UNCAUGHT_MARKER } from './process-guards.js';
export {
  startDiscovery,
  describeDiscoveryState,
  DiscoveryFileSchema,
  MDNS_MODES,
  MdnsFlagError,
  parseMdnsFlag,
  resolveDiscoveryConfig,
  type DiscoveryConfig,
  type DiscoveryFileConfig,
  type DiscoveryHandle,
  type DiscoveryOptions,
  type DiscoveryState,
  type MdnsMode,
} from './discovery/index.js';
export { rotateCertificate } from './tls/rotate.js';
export { certificateHosts } from './tls/certificate.js';
export { CHANNEL_DEFINITIONS } from './channels/registry.js';
export { writeCredential, removeCredentials } from './channels/credentials.js';
export type { ChannelDefinition } from './channels/channel-definition.js';
export { mintLoginCode, LOGIN_CODE_TTL_MS, UI_SCOPES, type UiScope } from './ui-login-code.js';
export * as audit from './audit/index.js';
