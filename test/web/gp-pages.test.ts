/**
 * A GP's pages without JavaScript (supertest, as a browser with scripts off): New referral made from
 * the referral contract, its errors the API's own, a double submit stored once, the decision, and
 * the practice's referrals, scoped to the GP's practice as the API is.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Referral } from '../../src/generated/referral.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { schemaDocument } from '../../src/schemas/schema-registry.js';
import { tokenFor } from '../support/callers.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { activeVersion, db, testApp } from '../support/test-app.js';
import { hiddenField, signedInAgent, type Agent } from '../support/web-client.js';

const t = await testApp();
const practice = () => `G${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;

/**
 * The form fields a person fills in for `referral`: dotted names, yes/no for true/false. Every red
 * flag the form asks is answered, as the form requires: one the referral leaves out (the contract's
 * optional redFlags.sexualDysfunction) is answered no.
 */
function formOf(referral: Referral): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = { 'redFlags.sexualDysfunction': 'no' };
  const walk = (value: unknown, path: string[]) => {
    if (Array.isArray(value)) form[path.join('.')] = value.map(String);
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    else form[path.join('.')] = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
  };
  walk(referral, []);
  return form;
}

async function gpSignedIn(ods: string): Promise<{ agent: Agent; csrf: string }> {
  return signedInAgent(t.app, await tokenFor(db, 'gp', { practice: ods }));
}

/** New referral as the menu opens it: a new form key in the address, then the form. */
async function newForm(agent: Agent): Promise<{ html: string; key: string }> {
  const page = await agent.get('/referrals/new').redirects(1).expect(200);
  return { html: page.text, key: hiddenField(page.text, '_idempotencyKey') };
}

const storedCount = async (ods: string): Promise<number> => (await db.query<{ n: number }>('select count(*)::int as n from referrals where practice_ods = $1', [ods]))[0]?.n ?? -1;

/** The error summary's links: [href, text]. */
const summaryLinks = (html: string): Array<[string, string]> => {
  const summary = /<div class="nhsuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/<a href="([^"]+)">\s*([^<]*?)\s*<\/a>/g)].map((m) => [m[1] as string, (m[2] as string).replaceAll('&#39;', "'")]);
};

describe("a GP's pages", () => {
  it('offers every field of the referral contract, in its groups, each named by its path', async () => {
    const { agent } = await gpSignedIn(practice());
    const { html } = await newForm(agent);
    const schema = schemaDocument('referral.schema.json') as { properties: Record<string, { type: string; properties?: Record<string, unknown> }> };
    const expected = Object.entries(schema.properties).flatMap(([key, node]) => (node.type === 'object' ? Object.keys(node.properties ?? {}).map((name) => `${key}.${name}`) : [key]));
    const named = new Set([...html.matchAll(/name="([A-Za-z0-9.]+)"/g)].map((m) => m[1]));
    expect(expected.filter((name) => !named.has(name))).to.deep.equal([]);
    const legends = [...html.matchAll(/<legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">\s*([^<]+?)\s*<\/legend>/g)].map((m) => m[1]);
    expect(legends).to.deep.equal(['Patient', 'Referrer', 'The problem', 'Red flags', 'Examination findings', 'Inflammatory features', 'Keele STarT Back questions: for lower back pain only', 'History', 'Other details']);
  });

  it('asks each red flag as a yes/no question with no answer chosen beforehand', async () => {
    const { agent } = await gpSignedIn(practice());
    const { html } = await newForm(agent);
    const redFlags = Object.keys((schemaDocument('referral.schema.json') as { properties: { redFlags: { properties: object } } }).properties.redFlags.properties);
    for (const flag of redFlags) {
      const radios = [...html.matchAll(new RegExp(`<input[^>]*name="redFlags\\.${flag}"[^>]*>`, 'g'))].map((m) => m[0]);
      expect(radios.map((r) => /value="(\w+)"/.exec(r)?.[1]), flag).to.deep.equal(['yes', 'no']);
      expect(radios.some((r) => r.includes('checked')), `${flag} is answered beforehand`).to.equal(false);
    }
  });

  it('lists the API’s own issues in the error summary, in its order, each linked to its field', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const form: Record<string, string | string[]> = { ...formOf(aReferral({ referrer: { odsCode: ods } })), 'patient.nhsNumber': '1234567890', 'complaint.painScore': '11', _csrf: csrf, _idempotencyKey: key };
    delete form['redFlags.nightPain'];
    delete form['startBack.legPain'];
    const page = await agent.post('/referrals/new').type('form').send(form).expect(200);
    const body = aReferral({ referrer: { odsCode: ods }, patient: { nhsNumber: '1234567890' }, complaint: { painScore: 11 } }) as unknown as { redFlags: Record<string, unknown>; startBack: Record<string, unknown> };
    delete body.redFlags.nightPain;
    delete body.startBack.legPain;
    const api = await (await t.gpOf(ods)).post('/api/v1/triage').send(body).expect(400);
    const issues = api.body.error.issues as Array<{ path: string; message: string }>;
    const links = summaryLinks(page.text);
    expect(links.map(([href]) => href)).to.deep.equal(issues.map((i) => `#${i.path.slice(1).replaceAll('/', '-')}`));
    expect(links.map(([, text]) => text.slice(text.indexOf(': ') + 2))).to.deep.equal(issues.map((i) => i.message));
    expect(links.map(([, text]) => text)).to.include('Non-mechanical pain that wakes the patient at night: is required');
    expect(page.text).to.match(/<title>Error: New referral/);
    expect(page.text, 'the answers given are kept').to.contain('value="11"');
    expect(await storedCount(ods)).to.equal(0);
  });

  it('asks every red flag, the contract’s optional one too: left unanswered, it is an error on the page and nothing is stored', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const form: Record<string, string | string[]> = { ...formOf(aReferral({ referrer: { odsCode: ods } })), _csrf: csrf, _idempotencyKey: key };
    delete form['redFlags.sexualDysfunction'];
    const page = await agent.post('/referrals/new').type('form').send(form).expect(200);
    expect(summaryLinks(page.text)).to.deep.equal([['#redFlags-sexualDysfunction', 'New sexual dysfunction, such as new erectile or ejaculatory dysfunction or loss of genital sensation: is required']]);
    expect(await storedCount(ods)).to.equal(0);
    // Among the contract's own issues, in the form's order.
    form['patient.nhsNumber'] = '';
    delete form['redFlags.nightPain'];
    const both = summaryLinks((await agent.post('/referrals/new').type('form').send(form).expect(200)).text).map(([href]) => href);
    expect(both).to.deep.equal(['#patient-nhsNumber', '#redFlags-nightPain', '#redFlags-sexualDysfunction']);
    expect(await storedCount(ods)).to.equal(0);
  });

  it('submits a referral and shows its decision: where to, how soon, the service and why', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const res = await agent.post('/referrals/new').type('form').send({ ...formOf(aReferral({ referrer: { odsCode: ods } })), _csrf: csrf, _idempotencyKey: key }).expect(303);
    expect(res.headers.location).to.match(/^\/referrals\/[0-9a-f-]{36}$/);
    const page = await agent.get(res.headers.location as string).expect(200);
    expect(page.headers['cache-control']).to.equal('no-store');
    expect(page.text).to.contain('Physiotherapy').and.contain('Low back pain, first contact, STarT Back medium risk').and.contain('NICE NG59');
    expect(page.text).to.not.contain('nhsuk-card--care--emergency');
    // Why, in words: what the rule looked at and what this referral gave, never the rules' fact names.
    expect(page.text).to.contain('(this rule decides): Physiotherapy, routine, physiotherapy.');
    expect(page.text).to.contain('<strong>True:</strong> the STarT Back risk is medium (this referral: medium)');
    // No fact name or code value of the rules or the contract is left on the page (the context shown if one is).
    expect(page.text.match(/.{120}(complaint\.bodySite|startBackRisk|lumbar-spine).{40}/s)?.[0]).to.equal(undefined);
    // Dates as the NHS writes them, never as ISO dates.
    expect(page.text).to.contain('14 March 1958').and.match(/evaluated on \d{1,2} [A-Z][a-z]+ \d{4}\./);
    expect(page.text).to.not.contain('1958-03-14');
    // Whose referral it is, beside where they go.
    expect(page.text).to.match(/NHS number 943 476 5919, aged \d+; lumbar spine/);
  });

  it('keeps the form’s key in its address, so that Back to a form already sent opens its referral and never stores it twice', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const opened = await agent.get('/referrals/new').expect(303);
    const address = opened.headers.location as string;
    expect(address).to.match(/^\/referrals\/new\?form=[0-9a-f-]{36}$/);
    const key = address.split('=')[1] as string;
    // The same address is the same form: opened again before it is sent, it keeps its key.
    expect(hiddenField((await agent.get(address).expect(200)).text, '_idempotencyKey')).to.equal(key);
    const sent = await agent.post(address).type('form').send({ ...formOf(aReferral({ referrer: { odsCode: ods } })), _csrf: csrf, _idempotencyKey: key }).expect(303);
    const referral = sent.headers.location as string;

    // Back: the browser asks for the form's address again, and is shown the referral it made.
    const back = await agent.get(address).expect(303);
    expect(back.headers.location).to.equal(`${referral}?sent=already`);
    expect((await agent.get(back.headers.location as string).expect(200)).text).to.contain('You have already sent this referral');
    // Sent again with answers changed after Back: the referral it made stands, and nothing more is stored.
    const changed = await agent.post(address).type('form').send({ ...formOf(aReferral({ referrer: { odsCode: ods }, complaint: { durationWeeks: 11 } })), _csrf: csrf, _idempotencyKey: key }).expect(303);
    expect(changed.headers.location).to.equal(`${referral}?sent=already`);
    // Resubmitted from an answer with errors (Back from the decision to a form shown after a failed submit): the referral it made, not the errors again.
    const incomplete = await agent.post(address).type('form').send({ _csrf: csrf, _idempotencyKey: key, 'patient.nhsNumber': '9434765919' }).expect(303);
    expect(incomplete.headers.location).to.equal(`${referral}?sent=already`);
    expect(await storedCount(ods)).to.equal(1);
    // New referral from the menu is a new form.
    expect((await agent.get('/referrals/new').expect(303)).headers.location).to.not.equal(address);
  });

  it('stores one referral when the same form is submitted twice, one after the other or both at once', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const form = { ...formOf(aKneeReferral({ referrer: { odsCode: ods } })), _csrf: csrf, _idempotencyKey: key };
    const first = await agent.post('/referrals/new').type('form').send(form).expect(303);
    const again = await agent.post('/referrals/new').type('form').send(form).expect(303);
    // The second finds the form sent: the same referral, and the page says it was sent already.
    expect(again.headers.location).to.equal(`${first.headers.location as string}?sent=already`);
    const second = await newForm(agent);
    const both = { ...form, _idempotencyKey: second.key };
    const [a, b] = await Promise.all([agent.post('/referrals/new').type('form').send(both), agent.post('/referrals/new').type('form').send(both)]);
    expect([a.status, b.status]).to.deep.equal([303, 303]);
    // The same referral for both (the one that finds it stored says so: `?sent=already`).
    const referralOf = (location: unknown) => String(location).split('?')[0];
    expect(referralOf(a.headers.location)).to.equal(referralOf(b.headers.location)).and.match(/^\/referrals\/[0-9a-f-]{36}$/);
    expect(await storedCount(ods)).to.equal(2);
  });

  it('refers for the GP’s own practice only: another ODS code is an error on that field, and nothing is stored', async () => {
    const ods = practice();
    const other = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const page = await agent.post('/referrals/new').type('form').send({ ...formOf(aReferral({ referrer: { odsCode: other } })), _csrf: csrf, _idempotencyKey: key }).expect(200);
    expect(summaryLinks(page.text)).to.deep.equal([['#referrer-odsCode', 'Practice ODS code: must be the ODS code of your own practice']]);
    expect(await storedCount(other)).to.equal(0);
  });

  it('lists the practice’s referrals newest first, and never another practice’s', async () => {
    const ods = practice();
    const gp = await t.gpOf(ods);
    const older = await gp.post('/api/v1/referrals').send(aKneeReferral({ referrer: { odsCode: ods } })).expect(201);
    const newer = await gp.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: ods }, redFlags: { saddleAnaesthesia: true } })).expect(201);
    const elsewhere = practice();
    const theirs = await (await t.gpOf(elsewhere)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: elsewhere } })).expect(201);
    const { agent } = await gpSignedIn(ods);
    const page = await agent.get('/referrals').expect(200);
    const linked = [...page.text.matchAll(/href="\/referrals\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(linked).to.deep.equal([newer.body.id, older.body.id]);
    expect(page.text).to.contain('Emergency: today');
    expect(page.text).to.not.contain(theirs.body.id as string);
    // Whose each referral is, so that two alike can be told apart; the list's read recorded as the API records it.
    expect(page.text).to.contain('943 476 5919').and.match(/Aged \d+/);
    const [read] = await db.query<{ actor_role: string; details: Record<string, unknown> }>(
      "select actor_role, details from audit_events where event_type = 'referral.queue-read' and details ->> 'list' = 'practice' order by seq desc limit 1",
    );
    expect(read).to.deep.equal({ actor_role: 'gp', details: { list: 'practice', status: null, page: 'first', shown: 2 } });
  });

  it('answers another practice’s referral as not found, and records the refusal', async () => {
    const elsewhere = practice();
    const theirs = await (await t.gpOf(elsewhere)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: elsewhere } })).expect(201);
    const { agent } = await gpSignedIn(practice());
    const page = await agent.get(`/referrals/${theirs.body.id as string}`).expect(404);
    expect(page.text).to.contain('Page not found').and.not.contain('9434765919');
    expect((await agent.get('/referrals/00000000-0000-4000-8000-000000000000').expect(404)).text).to.contain('Page not found');
    const [denied] = await db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'access.denied' and details ->> 'referralId' = $1", [theirs.body.id]);
    expect(denied?.details).to.deep.include({ method: 'GET', route: '/referrals/:id', reason: 'other-practice' });
  });

  it('shows a clinician’s override with its reason', async () => {
    const ods = practice();
    const submitted = await (await t.gpOf(ods)).post('/api/v1/referrals').send(aKneeReferral({ referrer: { odsCode: ods } })).expect(201);
    await t.clinician.post(`/api/v1/referrals/${submitted.body.id as string}/review`).send({ outcome: 'overridden', pathway: 'community', urgency: 'soon', reason: 'Locking on examination today' }).expect(201);
    const { agent } = await gpSignedIn(ods);
    const page = await agent.get(`/referrals/${submitted.body.id as string}`).expect(200);
    expect(page.text).to.contain('A triage clinician changed this route').and.contain('Locking on examination today').and.contain('The community MSK interface service');
    expect(page.text).to.match(/A triage clinician changed this route on \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}\./);
  });

  it('writes nothing of the patient to the log: not the NHS number, the date of birth, nor the notes', async () => {
    const ods = practice();
    const { agent, csrf } = await gpSignedIn(ods);
    const { key } = await newForm(agent);
    const before = t.logLines.length;
    const canary = aReferral({ referrer: { odsCode: ods }, patient: { nhsNumber: '4000000039', dateOfBirth: '1961-07-23' }, notes: 'Canary Surname lives at 7 Canary Row' });
    await agent.post('/referrals/new').type('form').send({ ...formOf(canary), _csrf: csrf, _idempotencyKey: key }).expect(303);
    await agent.post('/referrals/new').type('form').send({ ...formOf(canary), 'complaint.painScore': '99', _csrf: csrf, _idempotencyKey: randomUUID() }).expect(200);
    const logged = t.logLines.slice(before).join('\n');
    expect(logged).to.contain('"route":"/referrals/new"');
    for (const value of ['4000000039', '1961-07-23', 'Canary', csrf]) expect(logged).to.not.contain(value);
  });

  it('says plainly when the rules could not decide and the referral waits for manual triage', async () => {
    class ThrowingRuleSet extends CompiledRuleSet {
      override evaluate(): never {
        throw new TypeError('a bug in evaluation');
      }
    }
    const broken = await testApp({ registry: new RuleSetRegistry([{ ...activeVersion, compiled: new ThrowingRuleSet(activeVersion.compiled.document) }]) });
    const ods = practice();
    const { agent, csrf } = await signedInAgent(broken.app, await tokenFor(db, 'gp', { practice: ods }));
    const key = hiddenField((await agent.get('/referrals/new').redirects(1).expect(200)).text, '_idempotencyKey');
    const res = await agent.post('/referrals/new').type('form').send({ ...formOf(aReferral({ referrer: { odsCode: ods } })), _csrf: csrf, _idempotencyKey: key }).expect(303);
    const page = await agent.get(res.headers.location as string).expect(200);
    expect(page.text).to.contain('This referral needs manual triage').and.contain('Awaiting manual triage');
    expect(page.text).to.not.contain('Physiotherapy');
  });
});
