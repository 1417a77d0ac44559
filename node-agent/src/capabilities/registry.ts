import { CommandError, CommandErrorCode, type CapabilityProvider, type Detection } from './capability.js';

export interface FamilyDetection {
  readonly family: string;
  readonly commands: readonly string[];
  readonly detection: Detection;
}

/** Dispatches node commands to the provider that owns them. */
export class CapabilityRegistry {
  private readonly byCommand = new Map<string, CapabilityProvider>();
  private detections: Map<string, Detection> | undefined;

  constructor(private readonly providers: readonly CapabilityProvider[]) {
    for (const provider of providers) {
      for (const command of provider.commands) {
        const owner = this.byCommand.get(command);
        if (owner) throw new Error(`command ${command} is declared by both "${owner.family}" and "${provider.family}" providers`);
        this.byCommand.set(command, provider);
      }
    }
  }

  /** Runs every provider's detection (in parallel) and remembers the outcome for `commands()` and `run()`. */
  async detectAll(): Promise<FamilyDetection[]> {
    const results = await Promise.all(
      this.providers.map(async (provider): Promise<FamilyDetection> => ({
        family: provider.family,
        commands: provider.commands,
        detection: await detectSafely(provider),
      })),
    );
    this.detections = new Map(results.map((r) => [r.family, r.detection]));
    return results;
  }

  /** The commands of providers found available by the last `detectAll()`, sorted. */
  commands(): string[] {
    return this.availableProviders('commands').flatMap((p) => [...p.commands]).sort();
  }

  /** The families found available by the last `detectAll()`, sorted (the node's advertised `caps`). */
  families(): string[] {
    return this.availableProviders('families').map((p) => p.family).sort();
  }

  private availableProviders(caller: string): CapabilityProvider[] {
    const detections = this.detections;
    if (!detections) throw new Error(`CapabilityRegistry.${caller}() called before detectAll(); await detectAll() first`);
    return this.providers.filter((p) => detections.get(p.family)?.available === true);
  }

  async run(command: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    const provider = this.byCommand.get(command);
    if (!provider) {
      throw new CommandError(CommandErrorCode.UNAVAILABLE, `command not supported: ${command}; this node supports: ${this.supportedList()}`, {
        command,
      });
    }
    const detection = this.detections?.get(provider.family);
    if (detection && !detection.available) {
      const fix = detection.fix ? ` To fix: ${detection.fix}` : '';
      throw new CommandError(CommandErrorCode.UNAVAILABLE, `${command} is unavailable on this node: ${detection.reason}.${fix}`, {
        command,
        reason: detection.reason,
        ...(detection.fix ? { fix: detection.fix } : {}),
      });
    }
    return provider.run(command, params, signal);
  }

  private supportedList(): string {
    const list = this.detections ? this.commands() : [...this.byCommand.keys()].sort();
    return list.length > 0 ? list.join(', ') : '(none)';
  }
}

async function detectSafely(provider: CapabilityProvider): Promise<Detection> {
  try {
    return await provider.detect();
  } catch (error) {
    // A detector that throws must not take the node down; the failure is its reason.
    return { available: false, reason: `detection failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
