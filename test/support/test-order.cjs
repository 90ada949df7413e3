// The order `npm test` hands mocha its files: the longest first, then the rest alphabetically. The
// files run on two workers, each taking the next file when it is free (.mocharc.json): started last,
// a long file keeps one worker busy while the other has nothing left; started first, the short ones
// fill in beside it. Prints the paths, one per line, for `mocha $(node test/support/test-order.cjs)`.
// A file named here that no longer exists is left out; a new long one should be added.
const { readdirSync } = require('node:fs');
const path = require('node:path');

const LONGEST_FIRST = [
  'test/web/keyboard-journeys.test.ts',
  'test/api/log-canary.test.ts',
  'test/api/hostile-input.property.test.ts',
  'test/api/process.test.ts',
  'test/api/crash.test.ts',
  'test/web/lead-journey.test.ts',
  'test/api/hostile-corpus.test.ts',
  'test/api/cli.test.ts',
  'test/web/clinician-journey.test.ts',
  'test/web/gp-journey.test.ts',
  'test/web/oidc-sign-in-journey.test.ts',
  'test/rules/safety-net-proof.test.ts',
  'test/api/reads-audited.test.ts',
];

const testFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith('.test.ts') ? [file] : [];
  });

const all = testFiles('test').sort();
const first = LONGEST_FIRST.filter((file) => all.includes(file));
process.stdout.write(`${[...first, ...all.filter((file) => !first.includes(file))].join('\n')}\n`);
