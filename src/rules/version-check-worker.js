// The rule-set checks' worker thread: plain JavaScript, so that it can choose how to load the checks
// (compiled, or TypeScript through tsx: thread-entry.js).
import { loadThread } from './thread-entry.js';

await loadThread(import.meta.url, 'version-check-thread');
