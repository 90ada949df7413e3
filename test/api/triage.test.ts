import { expect } from 'chai';
import { validateDecision } from '../../src/schemas/schema-registry.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { testApp } from '../support/test-app.js';

const t = await testApp();
// A triage clinician, who is answered the full decision; the tests of roles below use the others.
const triage = (body: unknown, query = '') => t.clinician.post(`/api/v1/triage${query}`).send(body as object);

describe('POST /api/v1/triage', () => {
  describe('when the referral is valid', () => {
    it('answers 200 with a decision that matches the decision schema', async () => {
      const res = await triage(aReferral());
      expect(res.status).to.equal(200);
      expect(validateDecision(res.body), JSON.stringify(validateDecision.errors)).to.equal(true);
      expect(res.body).to.deep.include({ pathway: 'physio', urgency: 'routine', service: 'physiotherapy', reviewRequired: false, winningRule: 'MSK-R05', evaluationDate: '2026-11-22' });
    });

    it('routes suspected cauda equina to same-day spinal care, explaining why', async () => {
      const res = await triage(aReferral({ redFlags: { saddleAnaesthesia: true } }));
      expect(res.body).to.deep.include({ pathway: 'secondary', urgency: 'emergency', service: 'emergency-spinal' });
      expect(res.body.firedRules[0].id).to.equal('MSK-E01');
      expect((res.body.explanation as string[]).join(' ')).to.contain('MSK-E01');
    });

    it('computes age at today’s date in London: GCA symptoms are an emergency from the 50th birthday', async () => {
      const at = (dateOfBirth: string) => triage(aKneeReferral({ complaint: { bodySite: 'shoulder' }, patient: { dateOfBirth }, redFlags: { giantCellArteritisSymptoms: true } }));
      expect((await at('1976-11-22')).body).to.include({ urgency: 'emergency', winningRule: 'MSK-E06' }); // 50 today
      expect((await at('1976-11-23')).body).to.include({ urgency: 'soon', reviewRequired: true, winningRule: 'MSK-N10' }); // 50 tomorrow
    });

    it('stores nothing and changes nothing: the same referral twice gets the same answer', async () => {
      const [a, b] = await Promise.all([triage(aReferral()), triage(aReferral())]);
      expect(a.body).to.deep.equal(b.body);
    });

    it('evaluates against another loaded version with ?version=', async () => {
      const res = await triage(aReferral(), '?version=1.0.0');
      expect(res.status).to.equal(200);
      expect(res.body.ruleset.version).to.equal('1.0.0');
    });
  });

  describe('who may triage, and what each is told', () => {
    it('triages for a GP, a triage clinician and a clinical lead alike', async () => {
      const gp = await t.gpOf('J82001');
      for (const [role, who] of [['gp', gp], ['triage-clinician', t.clinician], ['clinical-lead', t.lead]] as const) {
        const res = await who.post('/api/v1/triage').send(aReferral());
        expect(res.status, `${role}: ${JSON.stringify(res.body)}`).to.equal(200);
        expect(res.body, role).to.deep.include({ pathway: 'physio', urgency: 'routine', service: 'physiotherapy', reviewRequired: false, winningRule: 'MSK-R05' });
      }
    });

    it('tells a GP the fired rules without their condition trees, and a clinician the full, schema-valid decision', async () => {
      const referral = aReferral({ redFlags: { saddleAnaesthesia: true } });
      const [gp, clinician] = [await (await t.gpOf('J82001')).post('/api/v1/triage').send(referral), await triage(referral)];
      expect(gp.status).to.equal(200);
      expect(clinician.status).to.equal(200);
      expect(validateDecision(clinician.body), JSON.stringify(validateDecision.errors)).to.equal(true);

      type Fired = Record<string, unknown>;
      const [gpRules, fullRules] = [gp.body.firedRules as Fired[], clinician.body.firedRules as Fired[]];
      expect(fullRules).to.not.be.empty;
      for (const rule of fullRules) expect(rule, String(rule.id)).to.have.property('conditions').that.is.an('object');
      for (const rule of gpRules) expect(rule, String(rule.id)).to.not.have.property('conditions');
      // the same rules, in the same order, each a part of what the clinician is told
      expect(gpRules.map((r) => r.id)).to.deep.equal(fullRules.map((r) => r.id));
      gpRules.forEach((rule, i) => expect(fullRules[i]).to.deep.include(rule));
      // and the same route, reasons and explanation
      const { firedRules: _gpFired, ...gpRest } = gp.body as Fired;
      const { firedRules: _fullFired, ...fullRest } = clinician.body as Fired;
      expect(gpRest).to.deep.equal(fullRest);
      expect(gpRest).to.include({ pathway: 'secondary', urgency: 'emergency', service: 'emergency-spinal', winningRule: 'MSK-E01' });
    });

    it('answers 401 AUTHENTICATION_REQUIRED without a token, before reading the body', async () => {
      const res = await t.anonymous.post('/api/v1/triage').send(aReferral());
      expectError(res, 401, 'AUTHENTICATION_REQUIRED');
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="msk-triage"');
      expectError(await t.anonymous.post('/api/v1/triage').set('content-type', 'application/json').send('{"not json'), 401, 'AUTHENTICATION_REQUIRED');
    });
  });

  describe('when the referral breaks the contract', () => {
    it('lists every problem with its JSON Pointer path', async () => {
      const res = await triage(aReferral({ redFlags: { saddleAnaesthesia: null, nightPain: 'no' }, complaint: { painScore: 11 }, patient: { sex: 'f' } }));
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res)).to.deep.include.members([
        { path: '/redFlags/saddleAnaesthesia', message: 'is required' },
        { path: '/redFlags/nightPain', message: 'must be true or false' },
        { path: '/complaint/painScore', message: 'must be at most 10' },
        { path: '/patient/sex', message: 'must be one of: female, male, other, unknown' },
      ]);
    });

    it('never treats a missing red flag as no', async () => {
      const res = await triage(aReferral({ redFlags: { hotSwollenJoint: null } }));
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res)).to.deep.equal([{ path: '/redFlags/hotSwollenJoint', message: 'is required' }]);
    });

    it('requires startBack for lumbar-spine and only there', async () => {
      const res = await triage(aReferral({ startBack: null }));
      expect(issuesOf(res)).to.deep.equal([{ path: '/startBack', message: 'is required when complaint.bodySite is lumbar-spine' }]);
      expect((await triage(aKneeReferral())).status).to.equal(200);
    });

    it('requires all nine STarT Back answers when startBack is present', async () => {
      const res = await triage(aReferral({ startBack: { bothersomeness: null } }));
      expect(issuesOf(res)).to.deep.equal([{ path: '/startBack/bothersomeness', message: 'is required' }]);
    });

    it('checks the NHS number’s Modulus 11 check digit and that it is a string of 10 digits', async () => {
      for (const nhsNumber of ['9434765918', '943476591', 9434765919, '943 476 5919']) {
        const res = await triage(aReferral({ patient: { nhsNumber } }));
        expect(issuesOf(res), String(nhsNumber)).to.deep.equal([{ path: '/patient/nhsNumber', message: 'must be a 10-digit NHS number with a valid check digit, sent as a string' }]);
      }
    });

    it('refuses an NHS number of one digit ten times (0000000000, 4444444444), although its check digit passes', async () => {
      for (const nhsNumber of ['0000000000', '4444444444', '9999999999']) {
        const res = await triage(aReferral({ patient: { nhsNumber } }));
        expect(issuesOf(res), nhsNumber).to.deep.equal([{ path: '/patient/nhsNumber', message: 'must be a 10-digit NHS number with a valid check digit, sent as a string' }]);
        expect(res.text, 'the number is not repeated').to.not.include(nhsNumber);
      }
    });

    it('refuses a date of birth in the future, over 120 years ago, or not a real date', async () => {
      for (const dateOfBirth of ['2099-01-01', '1890-01-01', '1990-02-30', '14/03/1958']) {
        const res = await triage(aReferral({ patient: { dateOfBirth } }));
        expect(issuesOf(res).map((i) => i.path), dateOfBirth).to.deep.equal(['/patient/dateOfBirth']);
      }
    });

    it('refuses unknown fields at every level, naming them', async () => {
      const res = await triage(aReferral({ route: 'secondary', patient: { name: 'x' }, redFlags: { other: true }, history: { extra: 1 } }));
      expect(issuesOf(res)).to.deep.include.members([
        { path: '/route', message: 'is not a field of this contract; remove it' },
        { path: '/patient/name', message: 'is not a field of this contract; remove it' },
        // Names outside the service's vocabulary are not repeated: they could be anything the caller typed.
        { path: '/redFlags/(unnamed)', message: 'is not a field of this contract; remove it' },
        { path: '/history/(unnamed)', message: 'is not a field of this contract; remove it' },
      ]);
    });

    it('refuses null for a required field, a fraction where a whole number is due, and lists too long', async () => {
      const res = await triage(aReferral({ complaint: { durationWeeks: 2.5 }, history: { impactOnLife: null }, inflammatory: { axialSpaFeatures: ['buttock-pain', 'buttock-pain'] } }));
      expect(issuesOf(res)).to.deep.include.members([
        { path: '/complaint/durationWeeks', message: 'must be a whole number' },
        { path: '/history/impactOnLife', message: 'is required' },
        { path: '/inflammatory/axialSpaFeatures', message: 'must not list the same item twice' },
      ]);
    });

    it('refuses a body that is not an object', async () => {
      const res = await triage([aReferral()]);
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res)).to.deep.equal([{ path: '/', message: 'must be an object' }]);
    });

    it('lists every required field when the JSON body is empty', async () => {
      const empty = await t.clinician.post('/api/v1/triage').set('content-type', 'application/json');
      expectError(empty, 400, 'REFERRAL_INVALID');
      expect(issuesOf(empty).map((i) => i.path)).to.deep.equal(['/patient', '/referrer', '/complaint', '/redFlags', '/history']);
    });

    it('never echoes a submitted value in the error', async () => {
      const res = await triage(aReferral({ patient: { nhsNumber: '9434765918', dateOfBirth: '2099-12-31' }, notes: 12345 }));
      const text = JSON.stringify(res.body);
      expect(text).to.not.contain('9434765918').and.not.contain('2099-12-31').and.not.contain('12345');
    });
  });

  describe('when the request itself is wrong', () => {
    it('answers 400 for malformed JSON', async () => {
      const res = await t.clinician.post('/api/v1/triage').set('content-type', 'application/json').send('{"patient": {"nhsNumber": "9434765919"');
      expectError(res, 400, 'JSON_MALFORMED');
      expect(JSON.stringify(res.body)).to.not.contain('9434765919');
    });

    it('answers 400 for JSON that is only a string, number or null', async () => {
      for (const body of ['"x"', '42', 'null']) {
        expectError(await t.clinician.post('/api/v1/triage').set('content-type', 'application/json').send(body), 400, 'JSON_MALFORMED');
      }
    });

    it('answers 415 for anything but JSON', async () => {
      expectError(await t.clinician.post('/api/v1/triage').set('content-type', 'text/plain').send('hello'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await t.clinician.post('/api/v1/triage').type('form').send({ a: '1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await t.clinician.post('/api/v1/triage').set('content-type', 'application/json; charset=utf-16').send('{}'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await t.clinician.post('/api/v1/triage').set('content-type', 'application/merge-patch+json').send('{}'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect((await t.clinician.post('/api/v1/triage').set('content-type', 'application/json; charset=UTF-8').send(aReferral())).status).to.equal(200);
    });

    it('answers 413 for a body over the limit', async () => {
      const res = await triage(aReferral({ notes: 'x'.repeat(70 * 1024) }));
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers 400 for bodies nested thousands deep, and keeps serving', async () => {
      for (const body of ['['.repeat(5000) + ']'.repeat(5000), '{"notes":' + '{"a":'.repeat(4000) + '1' + '}'.repeat(4001)]) {
        expectError(await t.clinician.post('/api/v1/triage').set('content-type', 'application/json').send(body), 400, 'JSON_TOO_DEEP');
      }
      expect((await triage(aReferral())).status).to.equal(200);
    });

    it('refuses a field given twice, so a later "false" can never cancel a red flag', async () => {
      const body = JSON.stringify(aReferral({ redFlags: { saddleAnaesthesia: true } })).replace('"saddleAnaesthesia":true', '"saddleAnaesthesia":true,"saddleAnaesthesia":false');
      const res = await t.clinician.post('/api/v1/triage').set('content-type', 'application/json').send(body);
      expectError(res, 400, 'JSON_DUPLICATE_KEY');
      expect(issuesOf(res)).to.deep.equal([{ path: '/redFlags/saddleAnaesthesia', message: 'appears twice in the same object: send each field once' }]);
    });

    it('refuses lists longer than any request needs, before validating their items', async () => {
      const res = await triage(aReferral({ inflammatory: { axialSpaFeatures: Array(20_000).fill(1) } }));
      expectError(res, 400, 'JSON_TOO_WIDE');
      expect(issuesOf(res)).to.deep.equal([{ path: '/inflammatory/axialSpaFeatures', message: 'has more than 100 entries' }]);
    });

    it('lists at most 50 problems, then says how many more there are', async () => {
      // 90 wrong items in one list: 90 problems at 90 paths (and the list's own length), all listed but the last 41.
      const res = await triage(aReferral({ inflammatory: { axialSpaFeatures: Array.from({ length: 90 }, (_, i) => i) } }));
      const issues = issuesOf(res);
      expect(issues).to.have.length(51);
      expect(issues.at(-1)?.message).to.match(/^and \d+ more problems$/);
      expect(issues.filter((issue) => /^\/inflammatory\/axialSpaFeatures\/\d+$/.test(issue.path))).to.have.length(50 - issues.filter((issue) => !/\/\d+$/.test(issue.path) && issue.path !== '/').length);
    });

    it('names an unknown field only when the name is a word of the service’s own schemas, never a name the caller made up', async () => {
      const res = await triage(aReferral({ patient: { 'Jane Smith 1958-03-14': 1, Quillfeather: 'x', painScore: 3 } }));
      expect(issuesOf(res)).to.deep.equal([
        { path: '/patient/(unnamed)', message: 'is not a field of this contract; remove it' },
        { path: '/patient/painScore', message: 'is not a field of this contract; remove it' },
      ]);
      expect(JSON.stringify(res.body)).to.not.contain('Jane').and.not.contain('Quillfeather');
    });

    it('refuses prototype-pollution payloads and leaves Object.prototype untouched', async () => {
      const before = Object.getOwnPropertyNames(Object.prototype).sort();
      const payloads = [
        '{"__proto__": {"polluted": true}}',
        '{"constructor": {"prototype": {"polluted": true}}}',
        JSON.stringify(aReferral()).replace('{', '{"__proto__":{"polluted":true},'),
        JSON.stringify(aReferral()).replace('"patient":{', '"patient":{"__proto__":{"isAdmin":true},'),
      ];
      for (const body of payloads) {
        const res = await t.clinician.post('/api/v1/triage').set('content-type', 'application/json').send(body);
        expect(res.status).to.equal(400);
        expect(['REFERRAL_INVALID', 'JSON_DUPLICATE_KEY']).to.include(res.body.error.code);
      }
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(before);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(({} as Record<string, unknown>).isAdmin).to.equal(undefined);
    });

    it('answers 400 for a malformed version and 404 for one that is not loaded', async () => {
      expectError(await triage(aReferral(), '?version=latest'), 400, 'QUERY_INVALID');
      expectError(await triage(aReferral(), '?version=1.0.0&version=1.0.0'), 400, 'QUERY_INVALID');
      expectError(await triage(aReferral(), '?version=9.9.9'), 404, 'RULESET_VERSION_NOT_FOUND');
    });

    it('answers 405 with Allow for other methods', async () => {
      const res = await t.clinician.get('/api/v1/triage');
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).to.equal('POST');
    });
  });
});
