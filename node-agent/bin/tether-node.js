#!/usr/bin/env node
// Same code path as `tether node run`, bundled by scripts/bundle.mjs.
import { runNodeAgentCli } from '../bundle/cli.js';
process.exit(await runNodeAgentCli(process.argv.slice(2)));
