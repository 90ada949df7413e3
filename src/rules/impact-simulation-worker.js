// A simulation worker thread: plain JavaScript, so that it can choose how to load the simulation
// (compiled, or TypeScript through tsx: thread-entry.js).
import { loadThread } from './thread-entry.js';

await loadThread(import.meta.url, 'impact-simulation-thread');
