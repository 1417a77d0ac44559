/** LAN discovery: the gateway's mDNS beacon (`_tether-gw._tcp`, `_openclaw-gw._tcp`) and its configuration. */
export * from './advertiser.js';
export * from './discovery-config.js';
export * from './environment.js';
export * from './txt.js';
export type { BonjourFactory, BonjourFactoryOptions, BonjourLike, MdnsLike, ServiceLike, PublishConfig } from './bonjour-factory.js';
