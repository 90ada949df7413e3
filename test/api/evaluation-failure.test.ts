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
import { activeVersion, loadedVersions, testApp } from '../support/test-app.js';
import type { RuleRun } from '../../src/rules/condition-evaluator.js';
import type { FactMap } from '../../src/rules/derived-facts.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';

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

/** A second channel that sees one condition differently from json-rules-engine: a fault injected on purpose. */
class DisagreeingRuleSet extends CompiledRuleSet {
  protected override compiledRuns(facts: FactMap): RuleRun[] {
    const runs = super.compiledRuns(facts);
    const r05 = runs.find((run) => run.name === 'MSK-R05') as RuleRun;
    const leaf = r05.conditions.all?.[1] as NonNullable<RuleRun['conditions']['all']>[number];
    leaf.result = !leaf.result;
    return runs;
  }
}

describe('when the two evaluators disagree', () => {
  const disagreeing = () => testApp({ registry: registryWith(new DisagreeingRuleSet(base.compiled.document)) });

  it('answers EVALUATION_FAILED and no route, and logs evaluation.disagreement naming the rule and the condition', async () => {
    const t = await disagreeing();
    const res = await t.clinician.post('/api/v1/triage').send(aReferral());
    expectError(res, 500, 'EVALUATION_FAILED');
    expect(JSON.stringify(res.body)).to.not.match(/pathway|urgency|routine|service/);
    const line = t.logLines.find((l) => l.includes('"event":"evaluation.disagreement"'));
    expect(line, t.logLines.join('\n')).to.be.a('string');
    expect(JSON.parse(line as string)).to.include({ level: 'error', ruleId: 'MSK-R05', conditionPath: '/all/1', field: 'result', rulesetVersion: base.compiled.version, requestId: res.headers['x-request-id'] });
  });

  it('keeps a submitted referral for manual triage, with an evaluation.disagreement audit event', async () => {
    const t = await disagreeing();
    const res = await (await t.gpOf('J82001')).post('/api/v1/referrals').send(aReferral());
    expect(res.status).to.equal(202);
    expect(res.body).to.deep.include({ status: 'awaiting-manual-triage', decision: null });
    const audit = await t.clinician.get(`${res.headers.location as string}/audit`);
    const types = (audit.body.events as Array<{ type: string; details: Record<string, unknown> }>).map((e) => e.type);
    expect(types).to.deep.equal(['referral.submitted', 'evaluation.disagreement', 'referral.evaluation-failed']);
    const event = (audit.body.events as Array<{ type: string; details: Record<string, unknown> }>)[1];
    expect(event?.details).to.include({ ruleId: 'MSK-R05', path: '/all/1', field: 'result' });
  });

  it('agrees with json-rules-engine on every rule and condition for the shipped versions (no disagreement on 2,000 referrals)', async () => {
    for (const version of loadedVersions) {
      for (const referral of syntheticReferrals(1000, 3)) await version.compiled.bothChannels(referral, '2026-11-01');
    }
  });
});
