#!/usr/bin/env node
// The msk-triage command: runs the TypeScript command line through tsx, as `npm start` does, and
// sets the process's exit code from what the command returns (the only place that does).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const { processIo } = await import('./context.ts');
process.exitCode = await main(process.argv.slice(2), processIo());
