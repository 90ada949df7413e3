// A simulation worker thread: plain JavaScript so that it can register tsx before loading TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./impact-simulation-thread.ts');
