#!/usr/bin/env node
// The msk-triage command: runs the compiled command line in dist/ when it was built from src/ as it
// is now (src/tools/build.js), the TypeScript through tsx otherwise, and sets the process's exit code
// from what the command returns (the only place that does).
import { buildIsCurrent } from '../tools/build.js';

let cli;
if (buildIsCurrent()) {
  cli = { ...(await import('../../dist/cli/main.js')), ...(await import('../../dist/cli/context.js')) };
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = { ...(await import('./main.ts')), ...(await import('./context.ts')) };
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo());
