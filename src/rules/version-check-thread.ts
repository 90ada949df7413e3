/** The body of the rule-set checks' worker thread: each message is one version to check (version-check.ts). */
import { parentPort } from 'node:worker_threads';
import { checkVersion, type VersionCheckRequest } from './version-check.js';
import type { WorkerReply } from './worker-queue.js';

const port = parentPort;
if (!port) throw new Error('version-check-thread.ts runs only as a worker thread');

port.on('message', async ({ id, request }: { id: number; request: VersionCheckRequest }) => {
  let reply: WorkerReply<Awaited<ReturnType<typeof checkVersion>>>;
  try {
    reply = { id, result: await checkVersion(request) };
  } catch (error) {
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    reply = { id, error: { name, message, ...(stack ? { stack } : {}) } };
  }
  port.postMessage(reply);
});
