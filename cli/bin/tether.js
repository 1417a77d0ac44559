#!/usr/bin/env node
// Thin shim so the bin link exists before the first build; the code lives in bundle/ (see scripts/bundle.mjs).
import { main } from '../bundle/main.js';
// Exit explicitly: a finished command must never hang on a stray timer or socket.
process.exit(await main(process.argv));
