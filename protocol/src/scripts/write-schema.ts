/**
 * Renders every exported TypeBox schema of the protocol into one JSON Schema document,
 * docs/protocol.schema.json, so non-TypeScript clients can read the wire contract. Run `npm run schema`.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KindGuard, type TSchema } from '@sinclair/typebox';
import * as cameraCommands from '../commands/camera.js';
import * as locationCommands from '../commands/location.js';
import * as notifyCommands from '../commands/notify.js';
import * as screenCommands from '../commands/screen.js';
import * as systemCommands from '../commands/system.js';
import * as connect from '../connect.js';
import { PROTOCOL_VERSION } from '../constants.js';
import * as frames from '../frames.js';
import * as agentMethods from '../methods/agent.js';
import * as channelMethods from '../methods/channels.js';
import * as deviceMethods from '../methods/device.js';
import * as deviceSetupMethods from '../methods/device-setup.js';
import * as execApprovalMethods from '../methods/exec-approval.js';
import * as gatewayMethods from '../methods/gateway.js';
import * as nodeMethods from '../methods/node.js';
import * as logMethods from '../methods/logs.js';

// Listed by hand (not found by scanning files) so a new module is a deliberate addition to the contract.
const MODULES: readonly Record<string, unknown>[] = [
  frames,
  connect,
  gatewayMethods,
  nodeMethods,
  deviceMethods,
  deviceSetupMethods,
  execApprovalMethods,
  agentMethods,
  channelMethods,
  logMethods,
  systemCommands,
  cameraCommands,
  screenCommands,
  locationCommands,
  notifyCommands,
];

export const PROTOCOL_SCHEMA_PATH = fileURLToPath(new URL('../../../docs/protocol.schema.json', import.meta.url));

/** `$id` when the schema has one, else the export name without its `Schema` suffix. */
function definitionName(exportName: string, schema: TSchema): string {
  return typeof schema.$id === 'string' && schema.$id !== '' ? schema.$id : exportName.replace(/Schema$/, '');
}

/** Every exported schema, keyed by definition name, sorted by name so the file is stable under any loader. */
export function collectProtocolSchemas(): Record<string, TSchema> {
  const definitions: Record<string, TSchema> = {};
  const origin: Record<string, string> = {};
  for (const module of MODULES) {
    for (const [exportName, value] of Object.entries(module)) {
      if (!KindGuard.IsSchema(value)) continue;
      const name = definitionName(exportName, value);
      if (name in definitions) throw new Error(`two protocol schemas are both named "${name}" (${origin[name]} and ${exportName}); give one a distinct $id`);
      definitions[name] = value;
      origin[name] = exportName;
    }
  }
  return Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A plain-JSON copy without TypeBox's symbol-keyed metadata and without the `$id` of inlined
 * sub-schemas (ErrorShape inside ResponseFrame, …): repeated ids make JSON Schema tools report
 * ambiguous references. The top-level definition keeps its `$id`.
 */
function plainDefinition(schema: TSchema): unknown {
  const strip = (value: unknown, top: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => strip(item, false));
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === '$id' && typeof child === 'string' && !top) continue;
      out[key] = strip(child, false);
    }
    return out;
  };
  return strip(JSON.parse(JSON.stringify(schema)), true);
}

export function renderProtocolSchema(): string {
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Tether wire protocol',
    version: PROTOCOL_VERSION,
    definitions: Object.fromEntries(Object.entries(collectProtocolSchemas()).map(([name, schema]) => [name, plainDefinition(schema)])),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  writeFileSync(PROTOCOL_SCHEMA_PATH, renderProtocolSchema());
  process.stdout.write(`wrote ${PROTOCOL_SCHEMA_PATH}\n`);
}
