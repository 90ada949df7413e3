// mocha's spec reporter, and at the end of a run the ten slowest tests, so that a slow one is seen
// when it lands. A reporter (it runs in mocha's own process) because the files run in parallel
// worker processes (.mocharc.json), each with its own root hooks.
const Mocha = require('mocha');

const SLOWEST = 10;

class SpecWithSlowest extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const durations = [];
    runner.on('test end', (test) => {
      if (typeof test.duration === 'number') durations.push({ title: test.fullTitle(), ms: test.duration });
    });
    runner.once('end', () => {
      const slowest = durations.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
      if (slowest.length === 0) return;
      process.stdout.write(`\n  the ${slowest.length} slowest tests:\n${slowest.map((t) => `    ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.title}`).join('\n')}\n\n`);
    });
  }
}

module.exports = SpecWithSlowest;
