// A simulation worker thread. Plain JavaScript, started without tsx (src/domain/threads.ts): in dist/ it
// loads the compiled thread beside it; in src/ the compiled one in dist/ too when dist/ is current
// (src/tools/build.js), and otherwise registers tsx and loads the TypeScript.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const typescript = new URL('./impact-simulation-thread.ts', import.meta.url);
if (!existsSync(typescript)) {
  await import('./impact-simulation-thread.js');
} else {
  const { buildIsCurrent, DIST } = await import('../tools/build.js');
  if (buildIsCurrent()) {
    await import(pathToFileURL(path.join(DIST, 'rules', 'impact-simulation-thread.js')).href);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(typescript.href);
  }
}
