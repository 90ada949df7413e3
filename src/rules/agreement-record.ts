/**
 * The checks of a version that passed, remembered across restarts: the two channels' agreement on
 * its generated sample, and its verification (bundled cases, rule coverage, agreement, invariant proof).
 *
 * The agreement check (rule-set-loader.ts, channelProblems) runs json-rules-engine and the compiled
 * evaluator on 2,000 seeded referrals at a fixed date: about 1-2 s a version on these machines; the
 * cases and the proof most of a second more. Their results are pure functions of the version's
 * content (and its cases, files and the day, for the verification) and of the code that checks it,
 * so a pass is recorded under a fingerprint of that code (the rules, domain and schema modules, the
 * contract schemas and json-rules-engine's version): a restart with the same code and an unchanged
 * version skips them, and any change to either, or a new day, runs them again. Only passes are
 * recorded: a version that fails is checked at every load. The record is a file in DATA_DIR,
 * readable by the service's user only (who can change the database as well); one that cannot be
 * read, or that was written by other code, counts for nothing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agreedContentHashes, agreementSampleSize, passedVerificationEntries, trustAgreement, trustVerifications } from './rule-set-loader.js';
import type { CaseResult } from './rule-cases.js';
import { scanRulesFolder, type FolderScan } from './rules-folder-scan.js';

export const AGREEMENT_RECORD_FILE = 'channel-agreement.json';

/**
 * Where the build leaves a record of its own (src/tools/build.js): the shipped rules/ checked with
 * the code just built, so that the first start in a new DATA_DIR, on the day of the build, skips the
 * checks a restart would skip (a later day re-runs the cases and the proof; the agreement stands).
 * Beside the code in node_modules/.cache/msk-triage/: whoever can write it can change the code.
 */
export const BUILD_RECORD_DIR = fileURLToPath(new URL('../../node_modules/.cache/msk-triage/', import.meta.url));

const SRC = fileURLToPath(new URL('../', import.meta.url));
const CODE_FOLDERS = [path.join(SRC, 'rules'), path.join(SRC, 'domain'), path.join(SRC, 'schemas'), path.join(SRC, '..', 'schemas')];

let fingerprint: string | undefined;

/** SHA-256 over the code the check's result depends on; computed once a process (a few milliseconds). */
export function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  for (const folder of CODE_FOLDERS) {
    for (const name of readdirSync(folder).sort()) {
      if (!/\.(ts|js|json)$/.test(name)) continue;
      hash.update(`${path.relative(SRC, path.join(folder, name))}\0`).update(readFileSync(path.join(folder, name))).update('\0');
    }
  }
  const engine = createRequire(import.meta.url)('json-rules-engine/package.json') as { version: string };
  hash.update(`json-rules-engine@${engine.version}`);
  // A pass on a smaller sample (the test suite's) never vouches for the full one.
  hash.update(`sample=${agreementSampleSize()}`);
  fingerprint = hash.digest('hex');
  return fingerprint;
}

interface RecordFile {
  code: string;
  agreed: string[];
  /** verifications that passed, by key (rule-set-loader.ts, trustVerifications) */
  verified?: Array<[string, CaseResult[]]>;
}

/** The record under this code, or undefined (none, unreadable, or written by other code). */
async function readRecord(dataDir: string): Promise<Partial<RecordFile> | undefined> {
  try {
    const record = JSON.parse(await readFile(path.join(dataDir, AGREEMENT_RECORD_FILE), 'utf8')) as Partial<RecordFile>;
    return record.code === codeFingerprint() ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The content hashes a record holds as agreed. */
function agreedIn(record: Partial<RecordFile> | undefined): string[] {
  if (!Array.isArray(record?.agreed)) return [];
  return record.agreed.filter((hash): hash is string => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash));
}

/** The verifications a record holds as passed, by key. */
function verifiedIn(record: Partial<RecordFile> | undefined): Array<[string, CaseResult[]]> {
  if (!Array.isArray(record?.verified)) return [];
  return record.verified.filter((entry): entry is [string, CaseResult[]] => Array.isArray(entry) && typeof entry[0] === 'string' && Array.isArray(entry[1]));
}

/** The content hashes recorded as agreed in `dataDir`'s record under this code; none if there is no record. */
export async function readAgreementRecord(dataDir: string): Promise<string[]> {
  return agreedIn(await readRecord(dataDir));
}

/** Writes the record whole (to a new file, then renamed over the old one, so that a reader never sees half of it). */
export async function writeAgreementRecord(dataDir: string, agreed: Iterable<string>, verified: Array<[string, CaseResult[]]> = []): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, AGREEMENT_RECORD_FILE);
  const next = `${file}.${process.pid}.tmp`;
  const record: RecordFile = { code: codeFingerprint(), agreed: [...new Set(agreed)].sort(), verified };
  await writeFile(next, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(next, file);
}

/**
 * The rules folder scanned as scanRulesFolder does, with the checks recorded in `dataDir` and by the
 * build (BUILD_RECORD_DIR) trusted, and any new pass recorded in `dataDir`; without a `dataDir` (an
 * in-memory database), nothing is remembered.
 */
export async function scanRulesFolderRemembering(rulesDir: string, dataDir: string | undefined): Promise<FolderScan> {
  const record = dataDir ? await readRecord(dataDir) : undefined;
  const recorded = agreedIn(record);
  const recordedVerifications = verifiedIn(record);
  const built = dataDir === BUILD_RECORD_DIR ? undefined : await readRecord(BUILD_RECORD_DIR);
  trustAgreement([...recorded, ...agreedIn(built)]);
  trustVerifications([...recordedVerifications, ...verifiedIn(built)]);
  const scan = await scanRulesFolder(rulesDir);
  const agreed = agreedContentHashes();
  const verified = passedVerificationEntries();
  const known = new Set(recordedVerifications.map(([key]) => key));
  if (dataDir && (agreed.some((sha256) => !recorded.includes(sha256)) || verified.some(([key]) => !known.has(key)))) {
    // Only a cache: a record that cannot be written costs the next start its time, nothing else.
    await writeAgreementRecord(dataDir, agreed, verified).catch(() => undefined);
  }
  return scan;
}
