#!/usr/bin/env node
// The msk-triage command: runs the TypeScript command line through tsx, as `npm start` does.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
