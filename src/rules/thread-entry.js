// How a worker thread of ours loads its code. The thread starts without tsx (src/domain/threads.ts)
// on a plain JavaScript entry that calls loadThread: in dist/ (the compiled build) it loads the
// compiled module beside the entry; in src/ the compiled one in dist/ when dist/ is current
// (src/tools/build.js), and otherwise registers tsx and loads the TypeScript.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Loads module `name` (no extension) beside the entry at `entryUrl` (its import.meta.url). */
export async function loadThread(entryUrl, name) {
  const typescript = new URL(`./${name}.ts`, entryUrl);
  if (!existsSync(typescript)) return import(new URL(`./${name}.js`, entryUrl).href);
  const { buildIsCurrent, DIST, SRC } = await import('../tools/build.js');
  if (buildIsCurrent()) {
    const compiled = path.join(DIST, path.relative(SRC, fileURLToPath(typescript))).replace(/\.ts$/, '.js');
    return import(pathToFileURL(compiled).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(typescript.href);
}
