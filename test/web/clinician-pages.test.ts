/**
 * A triage clinician's pages without JavaScript (supertest): the queue's order, default statuses and
 * filters, a search by NHS number that is POSTed and audited, confirming and overriding, correcting a
 * review, and two clinicians acting on one decision: the second is told what changed (409), and
 * nothing of theirs is saved.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { tokenFor } from '../support/callers.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { db, testApp } from '../support/test-app.js';
import { hiddenField, signedInAgent, type Agent } from '../support/web-client.js';

const t = await testApp();
const practice = () => `Q${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;

async function clinicianSignedIn(name = 'Dr Q Clinician'): Promise<{ agent: Agent; csrf: string }> {
  return signedInAgent(t.app, await tokenFor(db, 'triage-clinician', { name }));
}

/** The ids of the referrals a page links to, in order. */
const linkedIds = (html: string): string[] => [...html.matchAll(/href="\/queue\/referrals\/([0-9a-f-]{36})"/g)].map((m) => m[1] as string);

async function submitted(ods: string, body = aReferral({ referrer: { odsCode: ods }, redFlags: { immunosuppressed: true } })): Promise<string> {
  return ((await (await t.gpOf(ods)).post('/api/v1/referrals').send(body).expect(201)).body as { id: string }).id;
}

describe("a triage clinician's pages", () => {
  it('shows the open referrals of a practice in the API’s order, leaving routed ones out by default', async () => {
    const ods = practice();
    const review = await submitted(ods);
    const emergencyReview = await submitted(ods, aReferral({ referrer: { odsCode: ods }, redFlags: { saddleAnaesthesia: true, immunosuppressed: true } }));
    const routed = await submitted(ods, aKneeReferral({ referrer: { odsCode: ods } }));
    const { agent } = await clinicianSignedIn();
    const page = await agent.get(`/queue?practice=${ods}`).expect(200);
    expect(page.headers['cache-control']).to.equal('no-store');
    const api = await t.clinician.get(`/api/v1/referrals?status=awaiting-review,awaiting-manual-triage&practice=${ods}`).expect(200);
    const apiIds = (api.body as { items: Array<{ id: string }> }).items.map((i) => i.id);
    expect(linkedIds(page.text)).to.deep.equal(apiIds);
    expect(linkedIds(page.text)).to.include(review).and.not.include(routed);
    expect(page.text).to.contain('Spinal infection risk without fever');
    const all = await agent.get(`/queue?practice=${ods}&status=routed&status=awaiting-review`).expect(200);
    expect(linkedIds(all.text)).to.include(routed);
    const onlyEmergency = await agent.get(`/queue?practice=${ods}&urgency=emergency&pathway=`).expect(200);
    expect(linkedIds(onlyEmergency.text).every((id) => id === emergencyReview)).to.equal(true);
  });

  it('takes a practice as typed, says what the list shows, keeps a filter open while it is set, and says where routed referrals are', async () => {
    const ods = practice();
    const review = await submitted(ods);
    const { agent } = await clinicianSignedIn();
    const typed = await agent.get(`/queue?practice=${encodeURIComponent(` ${ods.toLowerCase()} `)}`).expect(200);
    expect(linkedIds(typed.text)).to.deep.equal([review]);
    expect(typed.text).to.contain(`Showing: Awaiting a clinician’s review or Awaiting manual triage; practice ${ods}.`);
    expect(typed.text).to.match(/<details class="nhsuk-details"[^>]*\sopen/);
    const unfiltered = await agent.get('/queue').expect(200);
    expect(unfiltered.text).to.not.match(/<details class="nhsuk-details"[^>]*\sopen/);
    const empty = await agent.get(`/queue?practice=${practice()}`).expect(200);
    expect(empty.text).to.contain('Nothing is waiting with these filters.');
    const routedOnly = await agent.get(`/queue?status=routed&practice=${ods}`).expect(200);
    expect(routedOnly.text).to.contain('Showing: Routed; practice');
  });

  it('marks a referral as a possible duplicate when the same NHS number and body site came within 30 days, and merges nothing', async () => {
    const ods = practice();
    const nhsNumber = '4000000047';
    const first = await submitted(ods, aReferral({ referrer: { odsCode: ods }, patient: { nhsNumber }, redFlags: { immunosuppressed: true } }));
    const { agent } = await clinicianSignedIn();
    expect((await agent.get(`/queue?practice=${ods}`).expect(200)).text).to.not.contain('Possible duplicate');
    const second = await submitted(ods, aReferral({ referrer: { odsCode: ods }, patient: { nhsNumber }, redFlags: { immunosuppressed: true } }));
    const otherSite = await submitted(ods, aKneeReferral({ referrer: { odsCode: ods }, patient: { nhsNumber }, redFlags: { bilateralLegSymptoms: true } }));
    const page = await agent.get(`/queue?practice=${ods}`).expect(200);
    const rows = page.text.split('<tr class="nhsuk-table__row">').slice(2);
    const rowOf = (id: string) => rows.find((row) => row.includes(id)) ?? '';
    expect(rowOf(first)).to.contain('Possible duplicate');
    expect(rowOf(second)).to.contain('Possible duplicate');
    expect(rowOf(otherSite)).to.not.contain('Possible duplicate');
    expect(linkedIds(page.text)).to.include.members([first, second, otherSite]);
    const api = await t.clinician.get(`/api/v1/referrals?practice=${ods}`).expect(200);
    const marks = Object.fromEntries((api.body as { items: Array<{ id: string; possibleDuplicate: boolean }> }).items.map((i) => [i.id, i.possibleDuplicate]));
    expect(marks).to.deep.equal({ [first]: true, [second]: true, [otherSite]: false });
  });

  it('searches by NHS number by POST, never in the address, and records each referral it found', async () => {
    const ods = practice();
    const nhsNumber = '4000000020';
    const id = await submitted(ods, aReferral({ referrer: { odsCode: ods }, patient: { nhsNumber } }));
    const { agent, csrf } = await clinicianSignedIn();
    const form = await agent.get('/queue/search').expect(200);
    expect(form.text).to.match(/<form action="\/queue\/search" method="post"/);
    const res = await agent.post('/queue/search').type('form').send({ _csrf: csrf, nhsNumber: '400 000 0020' }).expect(200);
    expect(linkedIds(res.text)).to.deep.equal([id]);
    const [event] = await db.query<{ actor_role: string; details: Record<string, unknown> }>("select actor_role, details from audit_events where event_type = 'referral.found-by-search' and referral_id = $1", [id]);
    expect(event).to.deep.equal({ actor_role: 'triage-clinician', details: { by: 'nhs-number', resultCount: 1 } });
    expect(JSON.stringify(event)).to.not.contain(nhsNumber);
    // A valid number no referral has; then one whose check digit is wrong, which is a mistyped number, not a patient.
    const none = await agent.post('/queue/search').type('form').send({ _csrf: csrf, nhsNumber: '4712985305' }).expect(200);
    expect(none.text).to.contain('No referral has this NHS number');
    const mistyped = await agent.post('/queue/search').type('form').send({ _csrf: csrf, nhsNumber: '4000000021' }).expect(200);
    expect(mistyped.text).to.contain('Enter a valid NHS number').and.not.contain('No referral has this NHS number');
    expect(t.logLines.join('\n')).to.not.contain(nhsNumber);
  });

  it('confirms a route with the decision it read: the referral is reviewed, by name in its audit trail', async () => {
    const id = await submitted(practice());
    const { agent, csrf } = await clinicianSignedIn('Dr Q Confirmer');
    const page = await agent.get(`/queue/referrals/${id}`).expect(200);
    const decisionId = hiddenField(page.text, 'decisionId');
    await agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: csrf, decisionId, outcome: 'confirmed' }).expect(303);
    const after = await agent.get(`/queue/referrals/${id}`).expect(200);
    expect(after.text).to.contain('Reviewed by a clinician').and.contain('Dr Q Confirmer (triage clinician)').and.not.contain('token:');
    expect(after.text).to.not.contain('Confirm this route');
    // The audit trail in words, each event's code beside it.
    expect(after.text).to.match(/Referral received <span class="nhsuk-body-s">\(referral\.submitted\)<\/span>/);
    expect(after.text).to.contain('Route confirmed by a clinician').and.contain('Opened');
  });

  it('tells the second of two clinicians acting on one decision that someone acted first, 409, and saves nothing of theirs', async () => {
    const id = await submitted(practice());
    const first = await clinicianSignedIn('Dr Q First');
    const second = await clinicianSignedIn('Dr Q Second');
    const decisionId = hiddenField((await second.agent.get(`/queue/referrals/${id}`).expect(200)).text, 'decisionId');
    await first.agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: first.csrf, decisionId, outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: 'first reason' }).expect(303);
    const late = await second.agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: second.csrf, decisionId, outcome: 'overridden', pathway: 'secondary', urgency: 'urgent', reason: 'second reason' }).expect(409);
    expect(late.text).to.contain('Another clinician acted on this referral before you').and.contain('first reason').and.not.contain('second reason');
    // An alert, so that the design system's script moves focus to it: told first that nothing was saved.
    expect(late.text).to.match(/class="nhsuk-notification-banner"[^>]*role="alert"/);
    const stored = await db.query<{ n: number }>("select count(*)::int as n from decisions where referral_id = $1 and source = 'override'", [id]);
    expect(stored[0]?.n).to.equal(1);
  });

  it('offers to correct a reviewed referral’s review, naming it: the correction is a new decision, and a second clinician’s correction of the same review is 409', async () => {
    const id = await submitted(practice());
    const first = await clinicianSignedIn('Dr Q Confirmer');
    const confirmedDecision = hiddenField((await first.agent.get(`/queue/referrals/${id}`).expect(200)).text, 'decisionId');
    await first.agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: first.csrf, decisionId: confirmedDecision, outcome: 'confirmed' }).expect(303);
    const corrector = await clinicianSignedIn('Dr Q Corrector');
    const late = await clinicianSignedIn('Dr Q Late');
    const page = (await corrector.agent.get(`/queue/referrals/${id}`).expect(200)).text;
    expect(page).to.contain('Correct this review').and.contain('Dr Q Confirmer').and.not.contain('Confirm this route');
    const form = { decisionId: hiddenField(page, 'decisionId'), correctsReviewId: hiddenField(page, 'correctsReviewId'), outcome: 'overridden', urgency: 'soon' };
    expect(form.decisionId).to.equal(confirmedDecision);
    await corrector.agent.post(`/queue/referrals/${id}/review`).type('form').send({ ...form, _csrf: corrector.csrf, pathway: 'physio', reason: 'imaging since: no fracture' }).expect(303);
    const refused = await late.agent.post(`/queue/referrals/${id}/review`).type('form').send({ ...form, _csrf: late.csrf, pathway: 'secondary', reason: 'late reason' }).expect(409);
    expect(refused.text).to.contain('Another clinician acted on this referral before you').and.contain('imaging since: no fracture').and.not.contain('late reason');
    const stored = await db.query<{ n: number }>("select count(*)::int as n from decisions where referral_id = $1 and source = 'override'", [id]);
    expect(stored[0]?.n).to.equal(1);
  });

  it('refuses an override without a reason, naming the field, and keeps what was chosen', async () => {
    const id = await submitted(practice());
    const { agent, csrf } = await clinicianSignedIn();
    const decisionId = hiddenField((await agent.get(`/queue/referrals/${id}`).expect(200)).text, 'decisionId');
    const res = await agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: csrf, decisionId, outcome: 'overridden', pathway: 'community', urgency: 'soon' }).expect(200);
    expect(res.text).to.match(/<a href="#override-reason">\s*Reason: is required/);
    expect(res.text).to.match(/value="community" checked/);
  });

  it('offers the rule set’s services for an override, and says what a service code looks like when one is mistyped', async () => {
    const id = await submitted(practice());
    const { agent, csrf } = await clinicianSignedIn();
    const page = await agent.get(`/queue/referrals/${id}`).expect(200);
    expect(page.text).to.match(/<input[^>]*id="override-service"[^>]*list="override-services"/);
    expect(page.text).to.contain('<option value="orthopaedics-knee">Orthopaedics knee</option>').and.contain('<option value="msk-interface">MSK interface</option>');
    const decisionId = hiddenField(page.text, 'decisionId');
    const refused = await agent.post(`/queue/referrals/${id}/review`).type('form').send({ _csrf: csrf, decisionId, outcome: 'overridden', pathway: 'secondary', urgency: 'soon', service: 'Orthopaedics knee', reason: 'seen today' }).expect(200);
    expect(refused.text).to.contain('in lowercase words joined by hyphens, for example orthopaedics-knee');
  });

  it('keeps each role to its own pages: a GP cannot open the queue, a clinician has no New referral', async () => {
    const gp = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: practice() }));
    expect((await gp.agent.get('/queue').expect(403)).text).to.contain('This page is not for your role');
    const { agent } = await clinicianSignedIn();
    await agent.get('/referrals/new').expect(403);
  });
  it('explains each fired rule in clinical prose, with what this referral gave', async () => {
    const id = await submitted(practice());
    const { agent } = await clinicianSignedIn();
    const page = (await agent.get(`/queue/referrals/${id}`).expect(200)).text;
    expect(page).to.contain('What it looked at:');
    expect(page).to.contain('the patient is immunosuppressed').and.contain('the problem is in the spine');
    expect(page).to.match(/<strong>True:<\/strong> the body site is the lumbar spine \(this referral: the lumbar spine\)|<strong>True:<\/strong> the problem is in the spine/);
    // No fact name or code value of the rules is left on the page for a clinician to decode.
    expect(page).to.not.match(/redFlags\.|complaint\.bodySite|startBackRisk|(saw|is) lumbar-spine/);
  });

  it('answers an id that names no referral as not found, and records it as the API does', async () => {
    const { agent } = await clinicianSignedIn();
    const unknownId = randomUUID();
    expect((await agent.get(`/queue/referrals/${unknownId}`).expect(404)).text).to.contain('Page not found');
    expect((await agent.get('/queue/referrals/not-a-uuid').expect(404)).text).to.contain('Page not found');
    const probes = await db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'access.denied' and details ->> 'referralId' = $1", [unknownId]);
    expect(probes.map((row) => row.details)).to.deep.equal([{ method: 'GET', route: '/queue/referrals/:id', reason: 'no-such-referral', referralId: unknownId }]);
  });
});
