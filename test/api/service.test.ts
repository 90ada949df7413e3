/**
 * The service as `npm start` starts it (startService, the function main.ts calls), in this process
 * on a database of its own: it refuses to start on a broken or edited rule set, naming the file and
 * the problem; serves a pinned version; drains and stops; and serves the holders of tokens issued at
 * the command line, refusing one once it is revoked there or has expired. (test/api/process.test.ts
 * proves the same wiring as a real process, once.)
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startService, StartupError, type RunningService } from '../../src/service.js';
import type { Database } from '../../src/store/database.js';
import { inProcessCli } from '../support/cli.js';
import { tempDir } from '../support/temp-dirs.js';
import { CHECKPOINT_FILE } from '../../src/audit/checkpoints.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, unchanged, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { capturingLogger, GENEROUS_LIMITS } from '../support/test-app.js';
import { runAuditKey } from '../support/audit-key.js';

const configFor = (env: Record<string, string>) => loadConfig({ PORT: '0', HOST: '127.0.0.1', ...runAuditKey(), ...env });

/** Starts the service on `db`, with its log lines and its notices for the operator kept. */
async function start(db: Database, env: Record<string, string>, clock?: () => Date) {
  const { logger, lines } = capturingLogger();
  const notices: string[] = [];
  const service = await startService(configFor(env), { logger, notice: (line) => notices.push(line), db, ...(clock ? { clock } : {}), app: { rateLimits: GENEROUS_LIMITS, checkerSearchSize: 300 } });
  return { service, lines, notices };
}

async function refusal(db: Database, env: Record<string, string>): Promise<StartupError> {
  try {
    const { service } = await start(db, env);
    await service.stop('test');
  } catch (error) {
    expect(error).to.be.instanceOf(StartupError);
    return error as StartupError;
  }
  throw new Error('the service started');
}

async function call(service: RunningService, token: string | undefined, method: 'GET' | 'POST', url: string, body?: object) {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://127.0.0.1:${service.port}${url}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const errorCode = (answer: { body: Record<string, unknown> }) => (answer.body.error as { code?: string } | undefined)?.code;

describe('the service, started as npm start starts it', function () {
  this.timeout(60_000);
  let own: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => (own = await freshDatabase()));
  afterEach(async () => own.dispose());

  it('refuses to start on a rule set that breaks its checks, naming the file, rule and problem', async () => {
    const rulesDir = await ruleSetCopies((copy: Copy) => {
      copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
    });
    const error = await refusal(own.db, { RULES_DIR: rulesDir });
    expect(error.exitCode).to.equal(1);
    expect(error.message).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "bmi" is recorded only/);
  });

  it('refuses to start after a released version’s file was edited, naming the file', async () => {
    const rulesDir = await ruleSetCopies(unchanged);
    const { service } = await start(own.db, { RULES_DIR: rulesDir });
    await service.stop('SIGTERM');
    const file = path.join(rulesDir, 'msk-triage', '1.0.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Physiotherapy first.', 'Physiotherapy first, edited.'));
    const error = await refusal(own.db, { RULES_DIR: rulesDir });
    expect(error.message).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: version 1\.0\.0 was released .* A released version is never edited/);
  });

  it('refuses a RULESET_ID that names no loaded rule set', async () => {
    const error = await refusal(own.db, { RULESET_ID: 'msk-elsewhere' });
    expect(error.message).to.equal('RULESET_ID msk-elsewhere names no loaded rule set');
  });

  it('serves with the pinned version, says when no one can call it yet, and stops after draining', async () => {
    const rulesDir = await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft'));
    const { service, lines, notices } = await start(own.db, { RULES_DIR: rulesDir, RULESET_VERSION: '1.1.0' });
    const ready = await call(service, undefined, 'GET', '/readyz');
    expect(ready.status).to.equal(200);
    expect((ready.body.ruleset as { version: string }).version).to.equal('1.1.0');
    expect(notices, 'a service with no token says so at start').to.deep.equal([
      'msk-triage: no one can call /api/v1 yet: issue a token with  npx msk-triage token create --role <gp|triage-clinician|clinical-lead> --name <name> [--practice <ODS code>]',
    ]);
    await service.stop('SIGTERM');
    expect(lines.map((l) => (JSON.parse(l) as { event?: string }).event)).to.include.members(['startup.listening', 'shutdown.started', 'shutdown.finished']);
    expect(service.server.listening).to.equal(false);
  });

  it('checkpoints the audit chain’s head, signed, in AUDIT_CHECKPOINT_DIR when it starts and again when it stops', async () => {
    const dir = tempDir('msk-checkpoints-');
    const { service } = await start(own.db, { AUDIT_CHECKPOINT_DIR: dir, AUDIT_CHECKPOINT_MS: '1000' });
    const lines = () => readFileSync(path.join(dir, CHECKPOINT_FILE), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number });
    // The first start recorded its activation: the head is row 1.
    expect(lines().map((c) => c.seq)).to.deep.equal([1]);
    expect((await inProcessCli({ db: own.db })('token', 'create', '--role', 'clinical-lead', '--name', 'Dr C Lead')).status).to.equal(0);
    await service.stop('SIGTERM');
    expect(lines().map((c) => c.seq)).to.deep.equal([1, 2]);
    const verified = await inProcessCli({ db: own.db })('audit', 'verify', '--checkpoints', dir);
    expect(verified.status, verified.stdout).to.equal(0);
    expect(verified.stdout).to.contain('all 2 checkpoints hold');
  });

  it('serves the holders of tokens issued at the command line, and refuses a token once revoked there or expired', async () => {
    let now = Date.parse('2026-11-22T12:00:00Z');
    const clock = () => new Date(now);
    const cli = inProcessCli({ db: own.db, clock });
    const issue = async (...args: string[]) => {
      const result = await cli('token', 'create', ...args);
      expect(result.status, result.stderr).to.equal(0);
      const lines = result.stdout.trimEnd().split('\n');
      return { id: /^created token (\S+) /.exec(lines[0] ?? '')?.[1] ?? '', token: lines.at(-1) ?? '' };
    };
    const gp = await issue('--role', 'gp', '--name', 'Dr G Practice', '--practice', 'J82001');
    const clinician = await issue('--role', 'triage-clinician', '--name', 'Nurse T Clinician');
    const shortLived = await issue('--role', 'triage-clinician', '--name', 'Nurse S Short', '--expires', '30m');

    const { service, lines, notices } = await start(own.db, {}, clock);
    try {
      expect(notices).to.deep.equal([]);
      const anonymous = await call(service, undefined, 'GET', '/api/v1/referrals');
      expect(anonymous.status).to.equal(401);
      expect(errorCode(anonymous)).to.equal('AUTHENTICATION_REQUIRED');
      const submitted = await call(service, gp.token, 'POST', '/api/v1/referrals', aReferral());
      expect(submitted.status, JSON.stringify(submitted.body.error)).to.equal(201);
      const id = submitted.body.id as string;
      expect((await call(service, gp.token, 'GET', `/api/v1/referrals/${id}`)).status).to.equal(200);
      expect((await call(service, shortLived.token, 'GET', `/api/v1/referrals/${id}`)).status).to.equal(200);

      // Revoked at the command line while the service runs; 31 minutes later, the short-lived token has expired.
      expect((await cli('token', 'revoke', gp.id)).status).to.equal(0);
      now += 31 * 60_000;
      const byRevoked = await call(service, gp.token, 'GET', `/api/v1/referrals/${id}`);
      expect(byRevoked.status).to.equal(401);
      expect(errorCode(byRevoked)).to.equal('TOKEN_INVALID');
      const byExpired = await call(service, shortLived.token, 'GET', `/api/v1/referrals/${id}`);
      expect(byExpired.status).to.equal(401);
      expect(errorCode(byExpired)).to.equal('TOKEN_INVALID');
      expect((await call(service, clinician.token, 'GET', `/api/v1/referrals/${id}`)).status, 'a token still valid is served').to.equal(200);
    } finally {
      await service.stop('SIGTERM');
    }
    const failures = lines.map((l) => JSON.parse(l) as { event?: string; reason?: string }).filter((l) => l.event === 'auth.failed').map((l) => l.reason);
    expect(failures).to.deep.equal(['no-credentials', 'revoked', 'expired']);
    for (const { token } of [gp, clinician, shortLived]) expect(lines.join('\n')).to.not.contain(token);
  });
});
