/**
 * An approval, an activation or a simulation runs the version's checks (schema, facts, its cases, the two channels'
 * agreement, the invariant proof, and the checker's search at its full 4,000 referrals) in a worker
 * thread: while they run, the service goes on answering /healthz and triage at once. Timed on a real
 * listening server, as a client sees it, in the main thread's CPU time (main-thread-cpu.ts): a
 * machine busy with other work makes every wall-clock figure longer, but only work on the main
 * thread holds its event loop. The wall-clock figures are in the messages. Owns a fresh database.
 */
import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { Database } from '../../src/store/database.js';
import { longestStall, mainThreadCpuMs } from '../support/main-thread-cpu.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopiesOf, unchanged, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp, type TestApp } from '../support/test-app.js';

/** The requirement: no answer waits longer than this while the checks run. */
const BUDGET_MS = 50;

interface Answer {
  path: string;
  status: number;
  /** the main thread's CPU time from sending to the whole answer */
  ms: number;
  wallMs: number;
  text: string;
}

describe('checks off the main thread', function () {
  this.timeout(300_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;
  let server: Server;
  let base: string;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    // 2.1.0 is 2.0.0 under another number, in effect from the test clock's day: new content, so
    // every check runs in full in the checks' thread, which has seen neither version.
    const rulesDir = await ruleSetCopiesOf('2.0.0', unchanged, (copy: Copy) => {
      asVersion('2.1.0', 'draft')(copy);
      copy.ruleset.effectiveFrom = '2026-11-22';
    });
    const registry = await registryFromDatabase(db, await loadRuleSets(rulesDir), () => new Date());
    // The checker's search at its full size, as the service runs it.
    t = await testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir }, checkerSearchSize: 4000 });
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dispose();
  });

  const send = async (path: string, token?: string, body?: unknown): Promise<Answer> => {
    const [start, wallStart] = [mainThreadCpuMs(), performance.now()];
    const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { path, status: res.status, ms: mainThreadCpuMs() - start, wallMs: performance.now() - wallStart, text };
  };

  /** While `call` runs: /healthz and a triage request, one after the other, and the longest stall of the event loop. */
  async function whileRunning(call: () => Promise<Answer>) {
    const answers: Answer[] = [];
    const wallDelay = monitorEventLoopDelay({ resolution: 5 });
    wallDelay.enable();
    const stall = longestStall();
    let done = false;
    const result = call().finally(() => (done = true));
    while (!done) {
      answers.push(await send('/healthz'));
      answers.push(await send('/api/v1/triage', t.clinician.token, aReferral()));
    }
    const longestStallMs = stall.stop();
    wallDelay.disable();
    return { result: await result, answers, longestStallMs, wallClockStallMs: wallDelay.max / 1e6 };
  }

  const steps = {
    // A simulation checks both versions' folders first (the loader's checks, in the same thread).
    simulation: { path: '/api/v1/rulesets/msk-triage/versions/2.1.0/simulate', by: () => t.lead.token, body: { from: '2.0.0' }, status: 200 },
    approval: { path: '/api/v1/rulesets/msk-triage/versions/2.1.0/approvals', by: () => t.secondLead.token, body: { note: 'checked against the local audit' }, status: 201 },
    activation: { path: '/api/v1/rulesets/msk-triage/versions/2.1.0/activate', by: () => t.lead.token, body: { reason: 'local audit of interface clinics' }, status: 200 },
  };
  for (const [name, step] of Object.entries(steps)) {
    it(`answers /healthz and triage within ${BUDGET_MS} ms while ${name === 'simulation' ? 'a' : 'an'} ${name}’s checks run`, async () => {
      const { result, answers, longestStallMs, wallClockStallMs } = await whileRunning(() => send(step.path, step.by(), step.body));
      expect(result.status, result.text).to.equal(step.status);
      const wall = Math.max(...answers.map((a) => a.wallMs));
      const seen = `${answers.length} answers while the ${name} took ${result.wallMs.toFixed(0)} ms; in wall-clock time, the longest stall ${wallClockStallMs.toFixed(0)} ms and the slowest answer ${wall.toFixed(0)} ms`;
      expect(answers.length, seen).to.be.at.least(4);
      for (const answer of answers) expect(answer.status, `${answer.path}: ${answer.text}`).to.equal(200);
      expect(longestStallMs, `the longest stall of the event loop (ms), ${seen}`).to.be.below(BUDGET_MS);
      for (const answer of answers) expect(answer.ms, `${answer.path} answered in (ms), ${seen}`).to.be.below(BUDGET_MS);
    });
  }
});
