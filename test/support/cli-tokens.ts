/**
 * Bearer tokens for what runs the service as a child process (process and crash tests, the crash
 * harness, the bench): issued by the real command line, `msk-triage token create`, in the database
 * the service will use (DATA_DIR or DATABASE_URL in `env`): as a process of its own (`bin.js`), or
 * in this process (`inProcess`: the same `main`, without the cost of starting a process). With
 * PGlite only one process may open a data folder: issue the tokens BEFORE starting the service, or
 * after it has stopped.
 *
 * The token is never printed: a failure names the command's exit code and its stderr only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TOKEN_PATTERN } from '../../src/auth/api-tokens.js';
import type { Role } from '../../src/domain/roles.js';
import { inProcessCli, type CliResult } from './cli.js';

const definedOnly = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));

const run = promisify(execFile);

/** Env settings that take the rate limits out of the way, for harnesses that measure the service. */
export const NO_RATE_LIMITS: Readonly<Record<string, string>> = { RATE_LIMIT_PER_ADDRESS: '1000000', RATE_LIMIT_PER_CALLER: '1000000' };

/** Runs `node src/cli/bin.js ...args` (or its `main`, in this process) with `env` over this process's environment. */
export async function runCli(env: Record<string, string>, args: string[], options: { cwd?: string; inProcess?: boolean } = {}): Promise<CliResult> {
  if (options.inProcess) return inProcessCli({ env: { ...definedOnly(process.env), ...env } })(...args);
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/cli/bin.js', ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof failed.code !== 'number') {
      failed.stdout = '(not kept: it may hold a token)';
      throw new Error(`msk-triage ${args.slice(0, 2).join(' ')} did not run: ${failed.message.split('\n')[0] ?? ''}`, { cause: error });
    }
    return { status: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

export interface IssuedToken {
  /** the token's id, as `token list` shows it and `token revoke` takes it */
  id: string;
  /** the bearer token itself: the last line of the command's stdout */
  token: string;
}

/** `msk-triage token create --role ROLE --name NAME [--practice ODS] [--expires E]`, taking the token from the last line. */
export async function issueTokenWithCli(
  env: Record<string, string>,
  options: { role: Role; name: string; practice?: string; expires?: string; cwd?: string; inProcess?: boolean },
): Promise<IssuedToken> {
  const args = ['token', 'create', '--role', options.role, '--name', options.name];
  if (options.practice !== undefined) args.push('--practice', options.practice);
  if (options.expires !== undefined) args.push('--expires', options.expires);
  const result = await runCli(env, args, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), inProcess: options.inProcess === true });
  if (result.status !== 0) throw new Error(`msk-triage token create exited ${result.status}: ${result.stderr.trim()}`);
  const lines = result.stdout.trimEnd().split('\n');
  const token = lines.at(-1) ?? '';
  const id = /^created token ([0-9a-f-]{36}) /.exec(lines[0] ?? '')?.[1];
  if (!TOKEN_PATTERN.test(token) || !id) throw new Error('msk-triage token create did not print "created token <id> ..." first and the token alone on its last line');
  return { id, token };
}
