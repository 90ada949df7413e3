/**
 * The command line in this process: `main(argv, io)` with its output captured, the environment
 * given (nothing of this process's), and the database given instead of one it would open. The
 * command closes what it opens, so it gets a borrowed handle whose close does nothing; `opened()`
 * counts the times a command asked for the database (a refused command must not).
 */
import { main } from '../../src/cli/main.js';
import type { CommandIo } from '../../src/cli/context.js';
import type { Database } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/embedded-server.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface InProcessCli {
  (...args: string[]): Promise<CliResult>;
  /** how many times a command has opened the database */
  opened(): number;
}

/** The same database, for one command: its close leaves the database open for the next. */
export function borrowed(db: Database): Database {
  return {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction(work),
    actAs: (role) => db.actAs(role),
    close: () => Promise.resolve(),
  };
}

/**
 * `db`: the database every command gets; without it, `env` names it (DATA_DIR or DATABASE_URL) and
 * each command opens it as at the terminal (beside a running service: through its socket).
 */
export function inProcessCli(options: { db?: Database; env?: Record<string, string>; clock?: () => Date; checkerSearchSize?: number } = {}): InProcessCli {
  let opened = 0;
  const run = async (...args: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const io: CommandIo = {
      // The run's audit key (test/support/hooks.ts), unless a test names another.
      env: { ...(process.env.AUDIT_KEY_FILE ? { AUDIT_KEY_FILE: process.env.AUDIT_KEY_FILE } : {}), ...options.env },
      out: (line) => (stdout += `${line}\n`),
      err: (line) => (stderr += `${line}\n`),
      clock: options.clock ?? (() => new Date()),
      openDatabase: (config) => {
        opened += 1;
        if (options.db) return Promise.resolve(borrowed(options.db));
        return options.env?.DATA_DIR || options.env?.DATABASE_URL ? openDatabase(config) : Promise.reject(new Error('this test gave the command line no database'));
      },
      ...(options.checkerSearchSize ? { checkerSearchSize: options.checkerSearchSize } : {}),
    };
    const status = await main(args, io);
    return { status, stdout, stderr };
  };
  return Object.assign(run, { opened: () => opened });
}
