/**
 * The command line for operators and clinical leads. It reads the same configuration as the
 * service (DATA_DIR or DATABASE_URL, RULES_DIR) and works on the same database. Exit codes: 0 done,
 * 1 a check failed, 2 the command was wrong.
 *
 *   msk-triage token create --role ROLE --name NAME [--practice ODS] [--expires 90d|never|DATE]
 *   msk-triage token create --person ID [--name LABEL] [--expires …]
 *   msk-triage token list [--json]
 *   msk-triage token people [--json]
 *   msk-triage token revoke ID
 *   msk-triage audit verify [--expect-head SEQ:HASH]
 *   msk-triage referrals replay (ID ... | --all [--synthetic include|only])
 *   msk-triage referrals generate --count N [--seed S] [--into-real-database]
 *   msk-triage rules check [DIR] [--json]
 *   msk-triage rules test [DIR] [--json]
 *   msk-triage rules diff RULESET FROM TO [--json]
 *   msk-triage rules simulate RULESET --to V [--from V] [--file F] [--date D] [--synthetic include|only] [--json]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { verifyAuditChain, verifyCoverage, verifyRecords } from '../audit/audit-trail.js';
import { replayReferral } from '../referrals/replay-referral.js';
import { submitReferral } from '../referrals/submit-referral.js';
import { syntheticReferrals } from '../schemas/synthetic-referrals.js';
import { auditEventHash } from '../store/audit-store.js';
import { isSyntheticSelection, SYNTHETIC_SELECTIONS } from '../domain/synthetic-data.js';
import { holdsRealReferrals, referralIdsDecidedByRules, syntheticReferralCount } from '../store/referral-store.js';
import { rulesActivate, rulesApprove, rulesCheck, rulesDiff, rulesSimulate, rulesTest } from './rules-commands.js';
import { rulesCancelSchedule, rulesList, rulesReload } from './rules-lifecycle-commands.js';
import { CLI_ACTOR, registryFor, SYNTHETIC_DATA_GENERATOR, withDatabase, type Command, type CommandIo } from './context.js';
import { tokenCreate, tokenList, tokenPeople, tokenRevoke, TokenUsageError } from './token-commands.js';
import { auditKeyRingFor, auditKeys, useAuditKeys } from '../audit/audit-keys.js';
import { checkpointProblems } from '../audit/checkpoints.js';
import { IN_MEMORY } from '../store/database.js';

const USAGE = `usage:
  msk-triage token create --role ROLE --name NAME [--practice ODS] [--expires 90d|12h|30m|45s|YYYY-MM-DD|never]
                                                      issue a bearer token (ROLE: gp, triage-clinician, clinical-lead, operator;
                                                      a gp token needs --practice); printed once, on the last line
  msk-triage token create --person ID [--name LABEL] [--expires …]
                                                      another token for a person who has one (their role and practice;
                                                      ID or its first 8 or more characters); two tokens of one person are one person
  msk-triage token list [--json]                      the tokens: id, role, practice, state, name, person (never the token)
  msk-triage token people [--json]                    the people who hold tokens: id, role, practice, tokens, name
  msk-triage token revoke ID                          refuse that token (within a second, everywhere)
  msk-triage audit verify [--expect-head SEQ:HASH] [--checkpoints DIR]
                                                      recompute the audit chain and check it against its signed checkpoints; report the first broken row
  msk-triage referrals replay (ID ... | --all [--synthetic include|only])
                                                      re-evaluate stored referrals; report any that differ
                                                      (--all: the real ones, unless --synthetic asks for the others)
  msk-triage referrals generate --count N [--seed S] [--into-real-database]
                                                      store N synthetic referrals (never real patient data), marked
                                                      synthetic; refused on a database holding real referrals unless
                                                      --into-real-database says that is meant
  msk-triage rules check [DIR] [--json]               check and lint rule sets: errors fail, warnings do not
  msk-triage rules test [DIR] [--json]                run bundled cases; each failure as expected vs actual; coverage
  msk-triage rules diff RULESET FROM TO [--json]      what changed between two versions, rule by rule
  msk-triage rules simulate RULESET --to V [--from V] [--file F] [--date D] [--synthetic include|only] [--json]
                                                      what a version would change on the stored referrals (the real
                                                      ones, unless --synthetic asks for the others) or a file's
  msk-triage rules approve RULESET VERSION --name N --role R [--note T]   record a clinical lead's approval
  msk-triage rules activate RULESET VERSION --by N --reason R [--override-effective-from WHY]
                                                      check, test and activate (or refuse); before the version's
                                                      effectiveFrom, schedule it for that day unless WHY says it cannot wait
  msk-triage rules cancel-schedule RULESET VERSION --by N --reason R      cancel a scheduled activation
  msk-triage rules list [--json]                      each rule set: versions, status, schedule, drafts left out
  msk-triage rules reload                             check RULES_DIR and have every running service read it again

Reads DATA_DIR (default ./data) or DATABASE_URL, and RULES_DIR, like the service.`;

class UsageError extends Error {}


async function auditVerify(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values } = parseArgs({ args, options: { 'expect-head': { type: 'string' }, checkpoints: { type: 'string' } } });
  return withDatabase(command, async (db) => {
    const chain = await verifyAuditChain(db);
    if (!chain.ok) {
      io.out(`audit chain BROKEN at row ${chain.brokenAt}: ${chain.reason} (${chain.rows} rows before it verify)`);
      return 1;
    }
    const head = chain.head;
    if (values['expect-head']) {
      const [seq, hash] = values['expect-head'].split(':');
      const recorded = await auditEventHash(db, Number(seq));
      if (recorded === undefined || recorded !== hash) {
        io.out(`audit chain BROKEN: the expected head ${values['expect-head']} is not in the chain (it was cut or rewritten)`);
        return 1;
      }
    }
    let checkpointed = '';
    if (values.checkpoints) {
      const ring = auditKeys();
      if (!ring) throw new Error('no audit key to check the checkpoints with (AUDIT_KEY_FILE)');
      const { checked, problems, last } = await checkpointProblems(values.checkpoints, ring, (seq) => auditEventHash(db, seq));
      if (problems.length > 0) {
        io.out(`audit chain BROKEN against its checkpoints: ${problems.slice(0, 20).join('; ')}`);
        return 1;
      }
      checkpointed = `; all ${checked} checkpoints hold${last ? ` (the last: row ${last.seq} at ${last.at})` : ''}`;
    }
    const missing = await verifyCoverage(db);
    if (missing.length > 0) {
      io.out(`audit trail INCOMPLETE: ${missing.join('; ')}`);
      return 1;
    }
    const changed = await verifyRecords(db);
    if (changed.length > 0) {
      io.out(`audit trail: records CHANGED since they were recorded: ${changed.join('; ')}`);
      return 1;
    }
    io.out(`audit chain verified: all ${chain.rows} rows${checkpointed}${head ? `; head ${head.seq}:${head.hash} (keep it to check later that nothing was cut)` : ''}`);
    return 0;
  });
}

async function referralsReplay(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: 'boolean' }, synthetic: { type: 'string' } } });
  if (!values.all && positionals.length === 0) throw new UsageError('name referral ids, or --all');
  const synthetic = values.synthetic ?? 'exclude';
  if (!isSyntheticSelection(synthetic)) throw new UsageError(`--synthetic must be one of: ${SYNTHETIC_SELECTIONS.join(', ')}`);
  if (values.synthetic !== undefined && !values.all) throw new UsageError('--synthetic goes with --all (referrals named by their ids are replayed whatever they are)');
  return withDatabase(command, async (db) => {
    const registry = await registryFor(command, db);
    const ids = values.all
      ? await referralIdsDecidedByRules(db, synthetic)
      : positionals;
    const counts = { matched: 0, differs: 0, unavailable: 0 };
    for (const id of ids) {
      const result = await replayReferral({ db, registry, clock: io.clock, actor: CLI_ACTOR }, id, { bulk: values.all === true });
      counts[result.result] += 1;
      if (result.result !== 'matched') io.out(`${id}: ${result.result}${result.reason ? ` (${result.reason})` : ''}${result.differences ? ` in ${result.differences.join(', ')}` : ''}`);
    }
    io.out(`replayed ${ids.length}: ${counts.matched} matched, ${counts.differs} differ, ${counts.unavailable} unavailable`);
    const leftOut = values.all && synthetic === 'exclude' ? await syntheticReferralCount(db) : 0;
    if (leftOut > 0) io.err(`msk-triage: ${leftOut} synthetic referrals left out (--synthetic include replays them too)`);
    return counts.differs > 0 ? 1 : 0;
  });
}

async function referralsGenerate(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values } = parseArgs({ args, options: { count: { type: 'string' }, seed: { type: 'string' }, 'into-real-database': { type: 'boolean' } } });
  const count = Number(values.count);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new UsageError('--count must be a whole number from 1 to 1000000');
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
  return withDatabase(command, async (db) => {
    // Synthetic referrals are kept out of clinical work, but they would share the audit trail and the
    // database's figures with real ones: that takes someone saying they mean it.
    if (values['into-real-database'] !== true && (await holdsRealReferrals(db))) {
      io.err('msk-triage: refused: this database holds real referrals. Generate synthetic ones into a database of their own '
        + '(another DATA_DIR or DATABASE_URL), or add --into-real-database if you mean to store them beside the real ones '
        + '(marked synthetic: the queue, simulation and replay --all leave them out unless asked).');
      return 1;
    }
    const registry = await registryFor(command, db);
    const deps = { db, registry, rulesetId: config.rulesetId, clock: io.clock, keysInFlight: new Set<string>(), actor: SYNTHETIC_DATA_GENERATOR, synthetic: true, idempotencyScope: 'cli' };
    const started = Date.now();
    const statuses: Record<string, number> = {};
    for (const referral of syntheticReferrals(count, seed)) {
      const answer = await submitReferral(deps, referral);
      statuses[answer.body.status] = (statuses[answer.body.status] ?? 0) + 1;
    }
    const seconds = (Date.now() - started) / 1000;
    io.out(`submitted ${count} synthetic referrals (seed ${seed}) in ${seconds.toFixed(1)} s: ${JSON.stringify(statuses)}`);
    return 0;
  });
}

const COMMANDS: Record<string, (command: Command, args: string[]) => Promise<number>> = {
  'token create': tokenCreate,
  'token list': tokenList,
  'token people': tokenPeople,
  'token revoke': tokenRevoke,
  'audit verify': auditVerify,
  'referrals replay': referralsReplay,
  'referrals generate': referralsGenerate,
  'rules check': rulesCheck,
  'rules test': rulesTest,
  'rules diff': rulesDiff,
  'rules simulate': rulesSimulate,
  'rules approve': rulesApprove,
  'rules activate': rulesActivate,
  'rules cancel-schedule': rulesCancelSchedule,
  'rules list': rulesList,
  'rules reload': rulesReload,
};

/** Runs one command; returns its exit code. Only bin.js sets the process's. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const command = COMMANDS[argv.slice(0, 2).join(' ')];
  if (!command) {
    io.err(USAGE);
    return argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' ? 0 : 2;
  }
  try {
    const config = loadConfig(io.env);
    // What a command writes to the audit trail is signed with the service's audit key, and verified with it.
    useAuditKeys(auditKeyRingFor({ auditKeyFile: config.auditKeyFile, dataDir: config.dataDir, inMemory: config.dataDir === IN_MEMORY }));
    return await command({ config, io }, argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError || error instanceof TokenUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') || (error as Error).message.startsWith('usage:')) {
      io.err(`msk-triage: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`msk-triage: ${(error as Error).message}`);
    return 1;
  }
}
