// mocha's spec reporter, and at the end of a run the ten slowest tests and the five slowest files
// (their tests and hooks together), so that a slow one is seen when it lands. A reporter (it runs in
// mocha's own process) because the files run in parallel worker processes (.mocharc.json), each with
// its own root hooks.
const path = require('node:path');
const Mocha = require('mocha');

const SLOWEST = 10;
// MSK_SLOWEST_FILES=100 lists more of them, to balance the workers (test/support/test-order.cjs).
const SLOWEST_FILES = Number(process.env.MSK_SLOWEST_FILES) || 5;

const seconds = (ms) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

class SpecWithSlowest extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const durations = [];
    const byFile = new Map();
    const addToFile = (runnable) => {
      if (typeof runnable.duration !== 'number' || !runnable.file) return;
      const file = path.relative(process.cwd(), runnable.file);
      byFile.set(file, (byFile.get(file) ?? 0) + runnable.duration);
    };
    runner.on('test end', (test) => {
      if (typeof test.duration === 'number') durations.push({ title: test.fullTitle(), ms: test.duration });
      addToFile(test);
    });
    runner.on('hook end', addToFile);
    runner.once('end', () => {
      const slowest = durations.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
      if (slowest.length === 0) return;
      const files = [...byFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_FILES);
      process.stdout.write(`\n  the ${slowest.length} slowest tests:\n${slowest.map((t) => `    ${seconds(t.ms)}  ${t.title}`).join('\n')}\n`);
      process.stdout.write(`\n  the ${files.length} slowest files (tests and hooks):\n${files.map(([file, ms]) => `    ${seconds(ms)}  ${file}`).join('\n')}\n\n`);
    });
  }
}

module.exports = SpecWithSlowest;
