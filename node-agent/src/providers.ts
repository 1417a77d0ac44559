/**
 * Every capability provider this node can offer, configured from its state dir. The agent serves
 * the ones whose backend `detect()` finds; `tether node doctor` explains the rest.
 */
import { CapabilityRegistry, createSystemProvider, type CapabilityProvider } from './capabilities/index.js';
import { createCameraProvider } from './capabilities/camera/index.js';
import { createLocationProvider } from './capabilities/location/index.js';
import { createNotifyProvider } from './capabilities/notify/index.js';
import { createScreenProvider } from './capabilities/screen/index.js';
import type { AskGateway } from './exec-policy/ask.js';
import { nodeConfigPath, readNodeConfig } from './node-config.js';

export interface ProviderOptions {
  stateDir: string;
  /** Lines the node prints for `system.notify` when no desktop notifier exists. */
  console?: (line: string) => void;
  /** How system.run asks an operator when the exec policy says ask (absent: such runs are denied). */
  askGateway?: AskGateway;
  log?: (message: string) => void;
}

export function createProviders(options: ProviderOptions): CapabilityProvider[] {
  const config = readNodeConfig(options.stateDir);
  return [
    createSystemProvider({ stateDir: options.stateDir, askGateway: options.askGateway, log: options.log }),
    createCameraProvider(config.camera),
    createScreenProvider(config.screen),
    createLocationProvider({
      fixed: config.location.fixed,
      gpsd: config.location.gpsd.enabled ? { host: config.location.gpsd.host, port: config.location.gpsd.port } : false,
      geoclue: config.location.geoclue,
      configPath: nodeConfigPath(options.stateDir),
    }),
    createNotifyProvider({ console: options.console }),
  ];
}

/** A registry with detection done: what `tether node doctor` reports and the agent serves. */
export async function detectCapabilities(options: ProviderOptions): Promise<CapabilityRegistry> {
  const registry = new CapabilityRegistry(createProviders(options));
  await registry.detectAll();
  return registry;
}
