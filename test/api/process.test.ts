/**
 * The service as an operator runs it: `node --import tsx src/main.ts`. It refuses to start on a
 * broken rule set, naming the file and the problem, and drains and exits cleanly on SIGTERM.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { tempDir } from '../support/temp-dirs.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startService(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: tempDir('msk-data-'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listeningPort(started: Started): Promise<number> {
  for (let i = 0; i < 1200; i++) { // up to 60 s: PGlite's first start in a new folder takes 2–12 s on a loaded machine
    const line = started.stdout().split('\n').find((l) => l.includes('"startup.listening"'));
    if (line) return (JSON.parse(line) as { port: number }).port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  started.child.kill('SIGKILL');
  throw new Error(`the service did not start: ${started.stderr()}`);
}

describe('the service process', function () {
  this.timeout(120_000);

  it('refuses to start on a rule set that breaks its checks, naming the file, rule and problem', async () => {
    const rulesDir = await ruleSetCopies((copy: Copy) => {
      copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
    });
    const started = startService({ RULES_DIR: rulesDir });
    expect(await started.exited).to.equal(1);
    expect(started.stderr()).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "bmi" is recorded only/);
  });

  it('refuses to start after a released version’s file was edited, naming the file', async () => {
    const rulesDir = await ruleSetCopies(() => undefined);
    const dataDir = tempDir('msk-data-');
    const first = startService({ RULES_DIR: rulesDir, DATA_DIR: dataDir });
    await listeningPort(first);
    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(0);
    const file = path.join(rulesDir, 'msk-triage', '1.0.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Physiotherapy first.', 'Physiotherapy first, edited.'));
    const second = startService({ RULES_DIR: rulesDir, DATA_DIR: dataDir });
    expect(await second.exited).to.equal(1);
    expect(second.stderr()).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: version 1\.0\.0 was released .* A released version is never edited/);
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const started = startService({ PORT: 'eighty' });
    expect(await started.exited).to.equal(2);
    expect(started.stderr()).to.contain('PORT must be a whole number');
  });

  it('answers /readyz 503 during the shutdown delay while still serving, then exits 0', async () => {
    const started = startService({ SHUTDOWN_DELAY_MS: '1500' });
    const port = await listeningPort(started);
    started.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    expect(await started.exited).to.equal(0);
  });

  it('serves with the pinned version and exits 0 after draining on SIGTERM', async () => {
    const rulesDir = await ruleSetCopies(() => undefined, asVersion('1.1.0', 'draft'));
    const started = startService({ RULES_DIR: rulesDir, RULESET_VERSION: '1.1.0' });
    const port = await listeningPort(started);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { ruleset: { version: string } }).ruleset.version).to.equal('1.1.0');
    started.child.kill('SIGTERM');
    expect(await started.exited).to.equal(0);
    expect(started.stdout()).to.contain('"event":"shutdown.finished"');
  });
});
