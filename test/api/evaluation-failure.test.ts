/**
 * Policy step 6: if evaluation itself fails, the service never answers a route. The evaluation
 * endpoint answers EVALUATION_FAILED, with no pathway, urgency or service anywhere in the body.
 */
import { expect } from 'chai';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { activeVersion, testApp } from '../support/test-app.js';

const base = activeVersion;

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
      const t = await testApp({ registry: registryWith(compiled) });
      // a GP is answered a reduced decision and a clinician the full one: neither gets a route here
      for (const [role, caller] of [['gp', await t.gpOf('J82001')], ['triage-clinician', t.clinician]] as const) {
        const logged = t.logLines.length;
        const res = await caller.post('/api/v1/triage').send(aReferral());
        expectError(res, 500, 'EVALUATION_FAILED');
        expect(JSON.stringify(res.body), role).to.not.match(/pathway|urgency|routine|service/);
        expect(t.logLines.slice(logged).some((line) => line.includes('"event":"triage.evaluation-failed"')), role).to.equal(true);
      }
    });
  }

  it('keeps serving the next request', async () => {
    const t = await testApp({ registry: registryWith(new ThrowingRuleSet(base.compiled.document)) });
    const gp = await t.gpOf('J82001');
    expectError(await gp.post('/api/v1/triage').send(aReferral()), 500, 'EVALUATION_FAILED');
    expect((await t.anonymous.get('/healthz')).status).to.equal(200);
    expectError(await gp.post('/api/v1/triage').send(aReferral()), 500, 'EVALUATION_FAILED');
  });
});
