// The embedded database's own thread: PGlite on DATA_DIR, served on a Unix socket with
// pglite-socket's protocol handler, so that the service (through pg, like any PostgreSQL) and the
// command line beside it share it, and no query runs on the service's main thread. Plain
// JavaScript: it needs nothing of ours.
//
// PGlite is one PostgreSQL session, so the connections take turns, and a turn must not end in the
// middle of what PostgreSQL treats as one unit: pg sends a parameterised query as Parse, Bind,
// Describe, Execute and Sync, and another connection's Parse in between would replace the unnamed
// statement (pglite-socket's own queue takes turns message by message, which mixed up two clients'
// answers under load here). So a connection keeps the database from its first message to the end of
// its group (Sync, or a simple Query) and, when that leaves a transaction open, to its end.
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { copyDatabaseFolder } from './database-folder.js';

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

/** A message that ends a unit of work: Sync, a simple Query, Terminate, or the startup message (no type byte). */
const endsGroup = (message) => [SYNC, QUERY, TERMINATE].includes(message[0]) || message[0] === 0;

/** The queue pglite-socket's handlers put their messages in, taking turns by groups and transactions. */
class TurnQueue {
  constructor(db) {
    this.db = db;
    this.queue = [];
    this.owner = null;
    this.running = false;
  }

  enqueue(handlerId, message, onData) {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.run();
    });
  }

  next() {
    if (this.owner === null) return this.queue.shift();
    const index = this.queue.findIndex((item) => item.handlerId === this.owner);
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        this.owner = item.handlerId;
        let bytes = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(item.message, { onRawData: (data) => ((bytes += data.length), item.onData(data)) }));
          item.resolve(bytes);
        } catch (error) {
          item.reject(error);
        }
        if (endsGroup(item.message) && !this.db.isInTransaction()) this.owner = null;
      }
    } finally {
      this.running = false;
    }
  }

  getQueueLength() {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId) {
    const dropped = this.queue.filter((item) => item.handlerId === handlerId);
    this.queue = this.queue.filter((item) => item.handlerId !== handlerId);
    for (const item of dropped) item.reject(new Error('the connection closed'));
  }

  /** A connection that closed in the middle of its turn: roll its transaction back, and let the others on. */
  async clearTransactionIfNeeded(handlerId) {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.run();
  }
}

const { location, socketPath, maxConnections, template } = workerData;
let db;
let server;
const handlers = new Set();
try {
  // A new data folder starts as a copy of the build's migrated one (pglite-template.ts), not PGlite's initdb.
  if (template) await copyDatabaseFolder(template, location);
  db = await PGlite.create(location);
  const queue = new TurnQueue(db);
  server = createServer((socket) => {
    if (handlers.size >= maxConnections) return socket.end();
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => (forget(), socket.destroy()));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  chmodSync(socketPath, 0o600); // only the service's user may connect
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ failed: error instanceof Error ? error.message : String(error) });
}

parentPort.on('message', async (message) => {
  if (message !== 'stop') return;
  try {
    for (const handler of handlers) await handler.detach(true);
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
    await db?.close();
  } finally {
    parentPort.postMessage({ stopped: true });
  }
});
