/** `tether config get|set|unset|validate|schema`: tether.json edited safely (validated first, atomic, backed up). */
import { Command } from 'commander';
import { safeText } from '@tether/protocol';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { action } from '../command-kit.js';
import { EXIT_FAILED, printJson, printLines, printNote } from '../output.js';
import type { ConfigEditResult } from '@tether/gateway';

const STATE_DIR = ['--state-dir <dir>', 'gateway state directory (default: TETHER_STATE_DIR or ~/.tether)'] as const;

function reportEdit(result: ConfigEditResult, json: boolean, what: string): void {
  if (json) return printJson(result);
  if (!result.changed) return printLines([`${result.key}: no change (${result.path} already says so).`]);
  printLines([`${what} ${result.key} in ${result.path}.`, ...(result.backupPath ? [`The previous file is in ${result.backupPath}.`] : []), 'A running gateway reloads it by itself: `tether gateway status` shows what it applied and what needs a restart.']);
  if (result.formattingLost) printNote('the file was rewritten as plain JSON: its comments and JSON5 formatting were not kept (they are still in the .bak file)');
}

export function configCommand(): Command {
  const config = new Command('config').description('read and change tether.json (validated before every write; atomic, with a backup)');

  config
    .command('get <path>')
    .description('the value at a path such as gateway.port or channels.telegram.allowFrom[0] (as written: ${NAME} stays a reference)')
    .option(...STATE_DIR)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, path: string) => {
        const { getConfigValue, resolveStateDir } = await import('@tether/gateway');
        const result = getConfigValue(resolveStateDir(flags.stateDir), path);
        if (!result.found) {
          if (flags.json) printJson({ found: false, path });
          else process.stderr.write(`${safeText(path)} is not set in tether.json (the default applies; \`tether config schema\` lists the keys)\n`);
          return EXIT_FAILED;
        }
        if (flags.json || typeof result.value !== 'string') return printJson(result.value);
        printLines([result.value]);
      }),
    );

  config
    .command('set <path> <value>')
    .description('set a value (parsed as JSON5: 18790, true, ["system.run"]; anything else is a string)')
    .option(...STATE_DIR)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, path: string, value: string) => {
        const { setConfigValue, resolveStateDir } = await import('@tether/gateway');
        reportEdit(setConfigValue({ stateDir: resolveStateDir(flags.stateDir) }, path, value), flags.json === true, 'Set');
      }),
    );

  config
    .command('unset <path>')
    .description('remove a key (or a list entry), so its default applies')
    .option(...STATE_DIR)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, path: string) => {
        const { unsetConfigValue, resolveStateDir } = await import('@tether/gateway');
        reportEdit(unsetConfigValue({ stateDir: resolveStateDir(flags.stateDir) }, path), flags.json === true, 'Removed');
      }),
    );

  config
    .command('validate [file]')
    .description('check a config file as the gateway would load it (default: the state dir\'s tether.json)')
    .option(...STATE_DIR)
    .option('--json', 'print JSON')
    .action(
      action(async (flags, file: string | undefined) => {
        const { validateConfigFile, resolveStateDir } = await import('@tether/gateway');
        const path = file === undefined ? undefined : resolve(file);
        if (path !== undefined && !existsSync(path)) {
          if (flags.json) printJson({ ok: false, path, error: 'no such file' });
          else process.stderr.write(`error: ${safeText(path)} does not exist\n`);
          return EXIT_FAILED;
        }
        const result = validateConfigFile(resolveStateDir(flags.stateDir), path);
        if (flags.json) return printJson({ ok: true, ...result });
        printLines([`${result.path} is valid${result.files.length > 1 ? ` (with ${result.files.slice(1).join(', ')})` : ''}.`]);
      }),
    );

  config
    .command('schema')
    .description("tether.json's JSON Schema (for editors and CI checks)")
    .action(
      action(async () => {
        const { configJsonSchema } = await import('@tether/gateway');
        printJson(configJsonSchema());
      }),
    );
  return config;
}
