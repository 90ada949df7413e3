// The rule-set checks' worker thread: plain JavaScript so that it can register tsx before loading TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./version-check-thread.ts');
