#!/usr/bin/env node
// Same code path as `tether node run`.
import { runNodeAgentCli } from '../dist/cli.js';
process.exitCode = await runNodeAgentCli(process.argv.slice(2));
