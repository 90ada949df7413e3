// The compiled build: every TypeScript file under src/ transpiled to JavaScript in dist/ (esbuild,
// file by file, the same folders; types are checked by `npm run typecheck`, not here), and every other
// file (the worker threads' JavaScript, the web pages' templates and assets) copied beside them, so
// that `npm start` and the command line run JavaScript and pay nothing for TypeScript at start-up.
//
// dist/build-info.json records the digest of src/ it was built from. `--if-stale` builds only when
// src/ has changed since (`npm start` asks for that first, so it never runs code older than src/),
// and the command line (src/cli/bin.js) runs dist/ only when it is current, TypeScript through tsx
// otherwise. Plain JavaScript, so that checking costs no compiler.
//
//   node src/tools/build.js             build dist/
//   node src/tools/build.js --if-stale  build dist/ unless it is current
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SRC = path.join(ROOT, 'src');
export const DIST = path.join(ROOT, 'dist');
const INFO = 'build-info.json';

/** Every file under `dir`, as paths relative to it, sorted (the same order on every machine). */
function filesUnder(dir, prefix = '') {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = path.posix.join(prefix, entry.name);
      return entry.isDirectory() ? filesUnder(dir, relative) : [relative];
    })
    .sort();
}

/** The digest of src/: every file's path and bytes. */
export function sourceDigest() {
  const hash = createHash('sha256');
  for (const file of filesUnder(SRC)) hash.update(`${file}\0`).update(readFileSync(path.join(SRC, file))).update('\0');
  return hash.digest('hex');
}

/** Whether dist/ was built from src/ as it is now. */
export function buildIsCurrent() {
  try {
    return JSON.parse(readFileSync(path.join(DIST, INFO), 'utf8')).sourceSha256 === sourceDigest();
  } catch {
    return false;
  }
}

/** Builds dist/ afresh, in a folder beside it that takes its place only when complete. */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const digest = sourceDigest();
  const files = filesUnder(SRC);
  const next = `${DIST}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  await esbuild({
    entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).map((file) => path.join(SRC, file)),
    outdir: next,
    outbase: SRC,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Not the two that choose between dist/ and src/: they run from src/ only.
  for (const file of files.filter((name) => !name.endsWith('.ts') && !['cli/bin.js', 'tools/build.js'].includes(name))) {
    mkdirSync(path.dirname(path.join(next, file)), { recursive: true });
    cpSync(path.join(SRC, file), path.join(next, file));
  }
  writeFileSync(path.join(next, INFO), `${JSON.stringify({ sourceSha256: digest, builtAt: new Date().toISOString() }, null, 2)}\n`);
  rmSync(DIST, { recursive: true, force: true });
  try {
    renameSync(next, DIST);
  } catch (error) {
    rmSync(next, { recursive: true, force: true });
    if (!buildIsCurrent()) throw error; // another build of the same src/ took the place first: as good
  }
  return { files: files.length, digest, template: await makeDatabaseTemplate(), checks: await recordRuleChecks() };
}

/**
 * The shipped rules/ checked with the build just done (cases, coverage, the channels' agreement, the
 * invariant proof), each pass recorded where a first start finds it (src/rules/agreement-record.ts,
 * BUILD_RECORD_DIR). Only a saving: a version that fails is not recorded, and is checked, and refused,
 * at start-up as without it.
 */
async function recordRuleChecks() {
  try {
    const { BUILD_RECORD_DIR, scanRulesFolderRemembering } = await import(pathToFileURL(path.join(DIST, 'rules', 'agreement-record.js')).href);
    await scanRulesFolderRemembering(path.join(ROOT, 'rules'), BUILD_RECORD_DIR);
    return 'made';
  } catch (error) {
    process.stderr.write(`msk-triage: the shipped rules' checks were not recorded (${error.message}); a first start will run them\n`);
    return 'failed';
  }
}

/**
 * The migrated template a new embedded database starts from (src/store/pglite-template.ts), made
 * with the build just done, once for each set of migrations. Only a saving: a failure is reported,
 * and a new database is then created by PGlite's initdb, as without it.
 */
async function makeDatabaseTemplate() {
  try {
    const { makeTemplate } = await import(pathToFileURL(path.join(DIST, 'store', 'pglite-template.js')).href);
    return (await makeTemplate()) ? 'made' : 'current';
  } catch (error) {
    process.stderr.write(`msk-triage: the embedded database's template was not made (${error.message}); a new database will take PGlite's initdb\n`);
    return 'failed';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const ifStale = process.argv.includes('--if-stale');
  if (!(ifStale && buildIsCurrent())) {
    const started = performance.now();
    const { files, template, checks } = await build();
    process.stderr.write(`msk-triage: built dist/ from ${files} files in src/ in ${Math.round(performance.now() - started)} ms${template === 'made' ? ', the embedded database\'s template' : ''}${checks === 'made' ? ', and checked rules/' : ''}\n`);
  }
}
