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
    expect(await page.locator('.nhsuk-card').first().textContent()).to.contain('All of these:').and.contain('Then:').and.contain('passes');
    await checkAccessibility(page);
  });

  it('tries a referral against the draft and sees its decision, with nothing stored', async () => {
    await page.getByRole('link', { name: 'Try a referral against this version' }).click();
    await fillReferral(page, ['saddleAnaesthesia']);
    await page.getByRole('button', { name: 'Try this referral' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.nhsuk-error-summary').count(), (await page.locator('.nhsuk-error-summary').textContent().catch(() => '')) ?? '').to.equal(0);
    expect(await page.locator('#decision + dl').textContent()).to.contain('Emergency');
    expect((await file.db.query<{ n: number }>('select count(*)::int as n from referrals'))[0]?.n).to.equal(0);
    await checkAccessibility(page);
  });

  it('compares the draft with the active version, rule by rule', async () => {
    await page.goto('/rulesets/msk-triage/versions/1.1.0');
    await page.getByRole('link', { name: /Compare with the active version/ }).click();
    expect(await page.locator('h2').first().textContent()).to.equal('From 1.0.0 to 1.1.0');
    await checkAccessibility(page);
  });

  it('runs the draft’s impact on the stored referrals: the routes before and after, as a table and a chart, counts only', async () => {
    const gp = await file.h.t.gpOf('D82099');
    for (const body of [aReferral({ referrer: { odsCode: 'D82099' } }), aReferral({ referrer: { odsCode: 'D82099' }, redFlags: { saddleAnaesthesia: true } })]) await gp.post('/api/v1/referrals').send(body).expect(201);
    await page.goto('/rulesets/msk-triage/versions/1.1.0');
    await page.getByRole('button', { name: 'Run the impact simulation' }).click({ timeout: 30_000 });
    await page.waitForURL('**/versions/1.1.0/impact', { timeout: 30_000 });
    expect(await page.locator('dl').first().textContent()).to.match(/Stored referrals\s*2/);
    expect(await page.locator('table tbody tr').count()).to.be.greaterThan(0);
    expect(await page.locator('svg.app-chart rect').count()).to.be.greaterThan(0);
    expect(await page.locator('main').textContent()).to.not.contain('9434765919');
    await checkAccessibility(page);
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
    expect(await page.locator('.nhsuk-error-summary').count(), (await page.locator('.nhsuk-error-summary').textContent().catch(() => '')) ?? '').to.equal(0);
    expect(new URL(page.url()).search).to.equal('?done=activated');
    await checkAccessibility(page);
    const decided = await (await file.h.t.gpOf('D82099')).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'D82099' } })).expect(201);
    expect(decided.body.decision.ruleset.version).to.equal('1.1.0');
  });
});
