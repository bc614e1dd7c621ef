#!/usr/bin/env node
// The `sluice` command. The CLI is TypeScript compiled to dist/ (`npm run build:ts`; the
// package's `prepare` script does it on install).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
