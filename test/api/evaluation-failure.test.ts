/**
 * Policy step 6: if evaluation itself fails, the service never answers a route. The evaluation
 * endpoint answers EVALUATION_FAILED, with no pathway, urgency or service anywhere in the body.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { loadedVersions, testApp } from '../support/test-app.js';

const base = (() => {
  const found = loadedVersions.find((v) => v.compiled.id === 'msk-triage' && v.compiled.version === '1.0.0');
  if (!found) throw new Error('msk-triage 1.0.0 not loaded');
  return found;
})();

/** A registry whose active version is `compiled`, bypassing the loader's checks on purpose. */
const registryWith = (compiled: CompiledRuleSet) => new RuleSetRegistry([{ ...base, compiled }]);

function brokenDocument(change: (doc: RuleSet) => void): RuleSet {
  const doc = structuredClone(base.compiled.document) as RuleSet;
  change(doc);
  return doc;
}

class ThrowingRuleSet extends CompiledRuleSet {
  override evaluate(): never {
    throw new TypeError('a bug in evaluation');
  }
}

const failures: Array<[string, CompiledRuleSet]> = [
  ['the engine meets a fact it does not know', new CompiledRuleSet(brokenDocument((doc) => {
    doc.rules[0].conditions = { all: [{ fact: 'redFlags.notInTheContract', operator: 'equal', value: true }] };
  }))],
  ['the engine meets an operator it does not know', new CompiledRuleSet(brokenDocument((doc) => {
    doc.rules[0].conditions = { all: [{ fact: 'spinal', operator: 'isTrue' as 'equal', value: true }] };
  }))],
  ['evaluation throws unexpectedly', new ThrowingRuleSet(base.compiled.document)],
];

describe('when evaluation fails', () => {
  for (const [what, compiled] of failures) {
    it(`answers EVALUATION_FAILED and no route when ${what}`, async () => {
      const { app, logLines } = testApp({ registry: registryWith(compiled) });
      const res = await request(app).post('/api/v1/triage').send(aReferral());
      expectError(res, 500, 'EVALUATION_FAILED');
      expect(JSON.stringify(res.body)).to.not.match(/pathway|urgency|routine|service/);
      expect(logLines.some((line) => line.includes('"event":"triage.evaluation-failed"'))).to.equal(true);
    });
  }

  it('keeps serving the next request', async () => {
    const { app } = testApp({ registry: registryWith(new ThrowingRuleSet(base.compiled.document)) });
    await request(app).post('/api/v1/triage').send(aReferral());
    expect((await request(app).get('/healthz')).status).to.equal(200);
  });
});
