/**
 * The two channels' agreement on a version's generated sample, remembered across restarts.
 *
 * The check (rule-set-loader.ts, channelProblems) runs json-rules-engine and the compiled evaluator on
 * 2,000 seeded referrals at a fixed date: about 1-2 s a version on these machines, most of a restart.
 * Its result is a pure function of the version's content and of the code that evaluates it, so a pass
 * is recorded by the content hash under a fingerprint of that code (the rules, domain and schema
 * modules, the contract schemas and json-rules-engine's version): a restart with the same code and an
 * unchanged version skips it, and any change to either runs it again. The bundled cases and the
 * invariant proof still run on every load. The record is a file in DATA_DIR, readable by the
 * service's user only; one that cannot be read, or that was written by other code, counts for nothing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agreedContentHashes, agreementSampleSize, trustAgreement } from './rule-set-loader.js';
import { scanRulesFolder, type FolderScan } from './rules-folder-scan.js';

export const AGREEMENT_RECORD_FILE = 'channel-agreement.json';

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
}

/** The content hashes recorded as agreed in `dataDir`'s record under this code; none if there is no record. */
export async function readAgreementRecord(dataDir: string): Promise<string[]> {
  try {
    const record = JSON.parse(await readFile(path.join(dataDir, AGREEMENT_RECORD_FILE), 'utf8')) as Partial<RecordFile>;
    if (record.code !== codeFingerprint() || !Array.isArray(record.agreed)) return [];
    return record.agreed.filter((hash): hash is string => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash));
  } catch {
    return [];
  }
}

/** Writes the record whole (to a new file, then renamed over the old one, so that a reader never sees half of it). */
export async function writeAgreementRecord(dataDir: string, agreed: Iterable<string>): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, AGREEMENT_RECORD_FILE);
  const next = `${file}.${process.pid}.tmp`;
  const record: RecordFile = { code: codeFingerprint(), agreed: [...new Set(agreed)].sort() };
  await writeFile(next, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(next, file);
}

/**
 * The rules folder scanned as scanRulesFolder does, with the agreement recorded in `dataDir` trusted
 * and any new one recorded there; without a `dataDir` (an in-memory database), nothing is remembered.
 */
export async function scanRulesFolderRemembering(rulesDir: string, dataDir: string | undefined): Promise<FolderScan> {
  const recorded = dataDir ? await readAgreementRecord(dataDir) : [];
  trustAgreement(recorded);
  const scan = await scanRulesFolder(rulesDir);
  const agreed = agreedContentHashes();
  if (dataDir && agreed.some((sha256) => !recorded.includes(sha256))) {
    // Only a cache: a record that cannot be written costs the next start its time, nothing else.
    await writeAgreementRecord(dataDir, agreed).catch(() => undefined);
  }
  return scan;
}
