/**
 * The rules folder read as a running service reads it, again and again: every version folder with a
 * fingerprint of its two files' bytes, and either the version loaded or the problems that keep it
 * out. A scan given the previous one inspects again only the folders whose files changed (or all of
 * them, when forced), so that re-reading RULES_DIR every few seconds costs a few file reads.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CASES_FILE, RULESET_FILE, inspectVersion, loadVersion, versionFolders, type LoadProblem, type LoadedVersion, type VersionInspector } from './rule-set-loader.js';

export interface ScannedFolder {
  dir: string;
  /** the rule set and version the folder stands for, by its path (rules/<id>/<version>/) */
  id: string;
  version: string;
  /** SHA-256 of the bytes of ruleset.json and cases.json as read before the folder was inspected */
  fingerprint: string;
  /** the version, when it passes every check */
  loaded?: LoadedVersion;
  /** what keeps it out, when it does not */
  problems: LoadProblem[];
  /** the status its ruleset.json declares, as far as the file can be read */
  declaredStatus?: string;
}

/** By folder. */
export type FolderScan = ReadonlyMap<string, ScannedFolder>;

async function fileBytes(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch(() => undefined);
}

/** A change to either file changes it; a missing file reads as empty. */
export async function folderFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [RULESET_FILE, CASES_FILE]) {
    const bytes = await fileBytes(path.join(dir, file));
    hash.update(`${file}:${bytes?.length ?? -1}:`);
    if (bytes) hash.update(bytes);
  }
  return hash.digest('hex');
}

async function declaredStatus(dir: string): Promise<string | undefined> {
  const bytes = await fileBytes(path.join(dir, RULESET_FILE));
  try {
    const status = (JSON.parse(bytes?.toString('utf8') ?? '') as { status?: unknown }).status;
    return typeof status === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}

/** Reads one folder: its fingerprint first, so that a change made while it is inspected is seen by the next scan. */
export async function scanFolder(dir: string, inspect: VersionInspector = inspectVersion): Promise<ScannedFolder> {
  const fingerprint = await folderFingerprint(dir);
  const problems: LoadProblem[] = [];
  const loaded = await loadVersion(dir, problems, inspect);
  return {
    dir, id: path.basename(path.dirname(dir)), version: path.basename(dir), fingerprint, problems,
    ...(loaded ? { loaded } : { declaredStatus: await declaredStatus(dir) }),
  };
}

/**
 * Every version folder under `rulesDir`; a folder whose fingerprint is what `previous` recorded keeps
 * its previous result unless `force`. Throws RuleSetLoadError if `rulesDir` cannot be read. `inspect`
 * checks a folder (default: on this thread; a running service does it in its checks' worker thread).
 */
export async function scanRulesFolder(rulesDir: string, previous: FolderScan = new Map(), options: { force?: boolean; inspect?: VersionInspector } = {}): Promise<FolderScan> {
  const scan = new Map<string, ScannedFolder>();
  for (const dir of await versionFolders(rulesDir)) {
    const before = previous.get(dir);
    if (before && !options.force && before.fingerprint === (await folderFingerprint(dir))) scan.set(dir, before);
    else scan.set(dir, await scanFolder(dir, options.inspect));
  }
  return scan;
}
