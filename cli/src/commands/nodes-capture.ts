/**
 * `tether nodes camera|screen|location|notify`: typed shortcuts for the capture commands. Media is
 * saved to a file whose path is printed; `--json` prints the result with that path instead of base64.
 */
import { Command } from 'commander';
import { safeLabel } from '@tether/protocol';
import { action, withConnectionOptions } from '../command-kit.js';
import { withGateway } from '../gateway-target.js';
import { saveMediaResult } from '../media-output.js';
import { invokeNode } from '../node-invoke.js';
import { findNode } from '../node-target.js';
import { formatTable, printJson, printLines, usageError } from '../output.js';

type Flags = Record<string, unknown>;

function int(flags: Flags, key: string, label: string): number | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`${label} takes a whole number, got "${String(value)}"`);
  return n;
}

function num(flags: Flags, key: string, label: string): number | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw usageError(`${label} takes a number, got "${String(value)}"`);
  return n;
}

/** Drops undefined values so the node's closed param schemas see only what was given. */
function defined(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
}

interface CaptureSpec {
  command: string;
  description: string;
  options: (command: Command) => Command;
  params: (flags: Flags) => Record<string, unknown>;
  /** Media results are saved to a file (named by the command, see media-output.ts); others are printed. */
  media?: true;
  /** Lines for people; the payload already passed the command's result schema (node-invoke.ts). */
  print?: (payload: Record<string, unknown>) => string[];
}

const durationOption = (command: Command) =>
  command.option('--duration-ms <ms>', 'length of the recording in milliseconds (max 60000)');

const SPECS: Record<string, CaptureSpec[]> = {
  camera: [
    {
      command: 'camera.list',
      description: 'cameras the node can see',
      options: (c) => c,
      params: () => ({}),
      print: (p) => {
        const devices = p.devices as { id: string; name: string; position?: string }[];
        if (devices.length === 0) return ['No cameras reported.'];
        return formatTable(
          ['ID', 'NAME', 'POSITION'],
          devices.map((d) => [safeLabel(d.id, 256), safeLabel(d.name), safeLabel(d.position, 32)]),
        );
      },
    },
    {
      command: 'camera.snap',
      description: 'take a photo (JPEG)',
      options: (c) =>
        c
          .option('--facing <front|back>', 'which camera, on devices that have both')
          .option('--device-id <id>', 'a camera id from `tether nodes camera list`')
          .option('--max-width <px>', 'scale down to at most this width')
          .option('--quality <0..1>', 'JPEG quality')
          .option('--delay-ms <ms>', 'wait before the shot (camera warm-up)'),
      params: (f) =>
        defined({
          facing: f.facing,
          deviceId: f.deviceId,
          maxWidth: int(f, 'maxWidth', '--max-width'),
          quality: num(f, 'quality', '--quality'),
          delayMs: int(f, 'delayMs', '--delay-ms'),
        }),
      media: true,
    },
    {
      command: 'camera.clip',
      description: 'record a short video (MP4)',
      options: (c) => durationOption(c).option('--device-id <id>', 'a camera id').option('--audio', 'include audio'),
      params: (f) => defined({ durationMs: int(f, 'durationMs', '--duration-ms'), deviceId: f.deviceId, includeAudio: f.audio === true ? true : undefined }),
      media: true,
    },
  ],
  screen: [
    {
      command: 'screen.snapshot',
      description: 'capture the screen (PNG)',
      options: (c) => c.option('--screen <index>', 'screen index').option('--max-width <px>', 'scale down to at most this width'),
      params: (f) => defined({ screenIndex: int(f, 'screen', '--screen'), maxWidth: int(f, 'maxWidth', '--max-width') }),
      media: true,
    },
    {
      command: 'screen.record',
      description: 'record the screen (MP4)',
      options: (c) => durationOption(c).option('--fps <n>', 'frames per second').option('--screen <index>', 'screen index'),
      params: (f) => defined({ durationMs: int(f, 'durationMs', '--duration-ms'), fps: int(f, 'fps', '--fps'), screenIndex: int(f, 'screen', '--screen') }),
      media: true,
    },
  ],
  location: [
    {
      command: 'location.get',
      description: 'where the node is',
      options: (c) =>
        c
          .option('--accuracy <coarse|balanced|precise>', 'desired accuracy')
          .option('--max-age <ms>', 'accept a cached fix this old')
          .option('--location-timeout <ms>', 'how long to wait for a fix'),
      params: (f) => defined({ desiredAccuracy: f.accuracy, maxAgeMs: int(f, 'maxAge', '--max-age'), timeoutMs: int(f, 'locationTimeout', '--location-timeout') }),
      print: (p) => [`${String(p.lat)}, ${String(p.lon)} (±${String(p.accuracyMeters)} m, ${safeLabel(String(p.source), 64)}, ${safeLabel(String(p.timestamp), 64)})`],
    },
  ],
};

function addCapture(parent: Command, name: string, spec: CaptureSpec): void {
  const sub = spec.options(
    withConnectionOptions(parent.command(name).description(spec.description).requiredOption('--node <node>', 'id, name or id prefix')),
  );
  if (spec.media) sub.option('--out <file>', 'where to save the file (default: a new file in the temp directory)');
  sub.option('--invoke-timeout <ms>', 'deadline for the command on the node', '90000');
  sub.action(
    action(async (flags) => {
      const params = spec.params(flags);
      const timeoutMs = int(flags, 'invokeTimeout', '--invoke-timeout') ?? 90_000;
      const output = await withGateway(flags, ['operator.read', 'operator.write'], async (client, target) => {
        const node = await findNode(client, String(flags.node));
        const result = await invokeNode(client, node, spec.command, params, timeoutMs);
        return spec.media ? saveMediaResult(spec.command, result.payload, target, flags.out as string | undefined) : (result.payload as Record<string, unknown>);
      });
      if (flags.json) return printJson(output);
      printLines(spec.media ? [String(output.path)] : spec.print!(output));
    }),
  );
}

export function captureCommands(): Command[] {
  const commands: Command[] = [];
  for (const [family, specs] of Object.entries(SPECS)) {
    if (family === 'location') {
      const location = new Command('location').description('location of a node');
      addCapture(location, 'get', specs[0]!);
      commands.push(location);
      continue;
    }
    const group = new Command(family).description(`${family} of a node`);
    for (const spec of specs) addCapture(group, spec.command.split('.')[1]!, spec);
    commands.push(group);
  }
  const notify = withConnectionOptions(
    new Command('notify')
      .description('show a notification on a node')
      .requiredOption('--node <node>', 'id, name or id prefix')
      .requiredOption('--title <text>', 'title')
      .option('--body <text>', 'body text', '')
      .option('--priority <passive|active|timeSensitive>', 'how insistent'),
  ).action(
    action(async (flags) => {
      const result = await withGateway(flags, ['operator.read', 'operator.write'], async (client) => {
        const node = await findNode(client, String(flags.node));
        return invokeNode(client, node, 'system.notify', defined({ title: flags.title, body: flags.body, priority: flags.priority }), 30_000);
      });
      if (flags.json) return printJson(result.payload);
      const payload = result.payload as { delivered?: boolean; backend?: string };
      printLines([`${payload.delivered ? 'delivered' : 'not delivered'} (${safeLabel(payload.backend, 64, 'unknown backend')})`]);
    }),
  );
  commands.push(notify);
  return commands;
}
