/**
 * A clinical lead's journey in a real browser (Chromium), with 1.0.0 active and the 1.1.0 draft
 * beside it, on a database of this file's own: the rule sets, the draft's rules and cases, a
 * referral tried against the draft (nothing stored), the draft compared with the active version, a
 * refusal listed when one lead would both approve and activate, a second lead's approval, the
 * activation, and the next GP referral decided by 1.1.0. Every page free of console errors, failed
 * requests and axe violations; the rule sets' screenshot for the README.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { tokenFor } from '../support/callers.js';
import { browserForFile, checkAccessibility, fillReferral, signIn } from '../support/browser.js';
import { aReferral } from '../support/referral-factory.js';
import { version1RulesDir, version1Versions } from '../support/test-app.js';

let page: Page;

describe('a clinical lead in the browser', function () {
  // One browser and one app for this file, set up in before() and closed in after().
  const file = browserForFile({ ownDatabase: true, overrides: () => ({ registry: new RuleSetRegistry(version1Versions), config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: version1RulesDir } }) });
  this.timeout(90_000);
  before(async () => {
    page = await file.h.newPage();
  });

  it('signs in to the rule sets: every version with its status and hash, the active one marked', async () => {
    await signIn(page, await tokenFor(file.db, 'clinical-lead', { name: 'Dr C Lead' }));
    expect(new URL(page.url()).pathname).to.equal('/rulesets');
    const rows = page.locator('tbody').first().locator('tr');
    expect(await rows.count()).to.equal(2);
    expect(await page.locator('tbody').first().textContent()).to.contain('1.0.0').and.contain('Active').and.contain('1.1.0').and.contain('Draft');
    await checkAccessibility(page);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/lead-rule-sets.png', fullPage: true });
  });

  it('reads the draft: each rule as sentences with its bundled cases and their results', async () => {
    await page.getByRole('link', { name: '1.1.0' }).click();
    await page.waitForURL('**/rulesets/msk-triage/versions/1.1.0');
    expect(await page.locator('.nhsuk-card').first().textContent()).to.contain('If').and.contain('there is saddle anaesthesia').and.contain('→ Secondary care').and.contain('passes');
    await checkAccessibility(page);
  });

  it('tries a referral against the draft and sees its decision, with nothing stored', async () => {
    await page.getByRole('link', { name: 'Try a referral against this version' }).click();
    await fillReferral(page, ['saddleAnaesthesia']);
    await page.getByRole('button', { name: 'Try this referral' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.nhsuk-error-summary').allTextContents()).to.deep.equal([]); // no error summary (and its text if one is shown)
    expect(await page.locator('#decision + dl').textContent()).to.contain('Emergency');
    expect((await file.db.query<{ n: number }>('select count(*)::int as n from referrals'))[0]?.n).to.equal(0);
    await checkAccessibility(page);
  });

  it('compares the draft with the active version, rule by rule', async () => {
    await page.goto('/rulesets/msk-triage/versions/1.1.0');
    await page.getByRole('link', { name: /Compare with the active version/ }).click();
    expect(await page.locator('h2').first().textContent()).to.equal('From 1.0.0 to 1.1.0');
    // In the version page's clinical prose, not the command line's fact names (MSK-R10 and R11 move from 6 to 8 weeks).
    const changed = (await page.locator('main').textContent()) as string;
    expect(changed).to.contain('non-surgical care tried so far has lasted less than 6 weeks → non-surgical care tried so far has lasted less than 8 weeks');
    expect(changed).to.not.contain('history.nonSurgicalCareWeeks');
    // A header change with only a new value (the change log's new entry) shows that value.
    expect(changed).to.match(/change log added: 1\.1\.0 \(\d{4}-\d{2}-\d{2}\): \S/);
    await checkAccessibility(page);
  });

  it('runs the draft’s impact on the stored referrals: the routes before and after, as a table and a chart, and no patient data', async () => {
    const gp = await file.h.t.gpOf('D82099');
    // The third, a shoulder after 7 weeks of care, goes to community MSK under 1.0.0 and to physiotherapy under 1.1.0 (MSK-R10 and R11 move from 6 to 8 weeks).
    const shoulder = aReferral({ referrer: { odsCode: 'D82099' }, complaint: { bodySite: 'shoulder' }, startBack: null, history: { nonSurgicalCareWeeks: 7 } });
    for (const body of [aReferral({ referrer: { odsCode: 'D82099' } }), aReferral({ referrer: { odsCode: 'D82099' }, redFlags: { saddleAnaesthesia: true } }), shoulder]) await gp.post('/api/v1/referrals').send(body).expect(201);
    await page.goto('/rulesets/msk-triage/versions/1.1.0');
    await page.getByRole('button', { name: 'Run the impact simulation' }).click({ timeout: 30_000 });
    await page.waitForURL('**/versions/1.1.0/impact', { timeout: 30_000 });
    expect(await page.locator('dl').first().textContent()).to.match(/Stored referrals\s*3/);
    expect(await page.locator('table tbody tr').count()).to.be.greaterThan(0);
    expect(await page.locator('svg.app-chart rect').count()).to.be.greaterThan(0);
    // Routes in words in the table and the chart: the shoulder moves from the interface service to physiotherapy.
    expect(await page.locator('svg.app-chart').textContent()).to.contain('The community MSK interface service, routine → Physiotherapy, routine');
    expect(await page.locator('table').first().textContent()).to.not.contain('physio / routine');
    expect(await page.locator('main').textContent()).to.not.contain('9434765919');
    await checkAccessibility(page);
  });

  it('lists the referrals the draft would change, each opening as a read recorded with the simulation that named it', async () => {
    const links = page.locator('main ul a[href*="/impact/referrals/"]');
    expect(await links.count()).to.be.greaterThan(0);
    const href = (await links.first().getAttribute('href')) as string;
    const referralId = href.split('/').at(-1) as string;
    await links.first().click();
    await page.waitForURL(`**${href}`);
    expect(await page.locator('h1').textContent()).to.equal('A referral the impact of 1.1.0 names');
    expect(await page.locator('main').textContent()).to.contain('Route under 1.0.0 → 1.1.0');
    await checkAccessibility(page);
    const [read] = await file.db.query<{ details: Record<string, unknown>; actor_role: string }>(
      "select details, actor_role from audit_events where event_type = 'referral.read' and referral_id = $1 order by seq desc limit 1", [referralId],
    );
    expect(read).to.deep.equal({ actor_role: 'clinical-lead', details: { view: 'simulation', simulationOf: 'msk-triage 1.1.0', comparedWith: '1.0.0' } });
    // A referral the simulation does not name (1.0.0 against itself names none) is not found, and the attempt recorded.
    const answer = await page.request.get(`/rulesets/msk-triage/versions/1.0.0/impact/referrals/${referralId}`);
    expect(answer.status()).to.equal(404);
    const [denied] = await file.db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'access.denied' order by seq desc limit 1");
    expect(denied?.details).to.include({ reason: 'not-named-by-simulation', referralId });
  });

  it('is refused, with the reason listed, when approving and activating alone; a second lead approves; then it activates', async () => {
    await page.goto('/rulesets/msk-triage/versions/1.1.0');
    await page.getByRole('button', { name: 'Approve 1.1.0' }).click({ timeout: 30_000 }); // the approval runs every check first
    await page.waitForURL('**/versions/1.1.0?done=approved', { timeout: 30_000 });
    await page.getByLabel('Why activate it').fill('Adds the 1.1 contract items');
    await page.getByRole('button', { name: 'Activate 1.1.0' }).click({ timeout: 30_000 });
    await page.waitForLoadState('load');
    expect(await page.locator('.nhsuk-error-summary').textContent()).to.match(/second|another|approv/i);
    await checkAccessibility(page);

    const second = await file.h.newPage();
    await signIn(second, await tokenFor(file.db, 'clinical-lead', { name: 'Dr B Lead' }));
    await second.goto('/rulesets/msk-triage/versions/1.1.0');
    await second.getByRole('button', { name: 'Approve 1.1.0' }).click({ timeout: 30_000 });
    await second.waitForURL('**/versions/1.1.0?done=approved', { timeout: 30_000 });

    await page.getByLabel('Why activate it').fill('Adds the 1.1 contract items');
    // 1.1.0's effectiveFrom is after the test clock's day: activated now, with the reason why.
    await page.getByLabel(/before its effective date/).fill('Wanted for the pilot now');
    await page.getByRole('button', { name: 'Activate 1.1.0' }).click({ timeout: 30_000 });
    await page.waitForLoadState('load', { timeout: 30_000 });
    expect(await page.locator('.nhsuk-error-summary').allTextContents()).to.deep.equal([]); // no error summary (and its text if one is shown)
    expect(new URL(page.url()).search).to.equal('?done=activated');
    await checkAccessibility(page);
    const decided = await (await file.h.t.gpOf('D82099')).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'D82099' } })).expect(201);
    expect(decided.body.decision.ruleset.version).to.equal('1.1.0');
  });
});
