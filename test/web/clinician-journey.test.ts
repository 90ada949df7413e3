/**
 * A triage clinician's journey in a real browser (Chromium), on a database of this file's own so
 * that the queue holds only what it submits: sign in, find a GP's referral in the queue, read its
 * decision, override it with a reason; the GP then sees the override and its reason; then correct
 * that review. Every page free
 * of console errors, failed requests and axe violations; the queue's screenshot for the README.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { tokenFor } from '../support/callers.js';
import { browserForFile, checkAccessibility, signIn } from '../support/browser.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';

const PRACTICE = 'C82099';
let page: Page;
let reviewId: string;

describe('a triage clinician in the browser', function () {
  // One browser and one app for this file, set up in before() and closed in after().
  const file = browserForFile({ ownDatabase: true });
  this.timeout(60_000);

  before(async () => {
    const gp = await file.h.t.gpOf(PRACTICE);
    // MSK-V01 asks for review (immunosuppressed, no fever); the knee referral is routed, so not in the open queue.
    reviewId = (await gp.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: PRACTICE }, redFlags: { immunosuppressed: true } })).expect(201)).body.id as string;
    await gp.post('/api/v1/referrals').send(aKneeReferral({ referrer: { odsCode: PRACTICE } })).expect(201);
    page = await file.h.newPage();
  });

  it('signs in and lands on the queue, which holds the referral waiting for review and why', async () => {
    await signIn(page, await tokenFor(file.db, 'triage-clinician', { name: 'Dr T Browser' }));
    expect(new URL(page.url()).pathname).to.equal('/queue');
    expect(await page.getByTestId('signed-in').textContent()).to.equal('Dr T Browser, Triage clinician');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().textContent()).to.contain('Lumbar spine').and.contain(PRACTICE);
    await checkAccessibility(page);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/clinician-queue.png', fullPage: true });
  });

  it('opens the referral: its decision with each rule’s conditions, the referral and its audit trail by name', async () => {
    await page.locator('tbody tr a').first().click();
    await page.waitForURL(`**/queue/referrals/${reviewId}`);
    // Each rule's tests in words, marked true or not: never the rules' fact names.
    const conditions = (await page.locator('.app-conditions').first().textContent()) as string;
    expect(conditions).to.contain('True:').and.not.match(/redFlags\.|complaint\.|startBack/);
    expect(await page.locator('table').last().textContent()).to.contain('referral.submitted').and.contain('test gp of C82099 (GP)');
    await checkAccessibility(page);
  });

  it('is told what is missing when an override has no reason, linked to the field', async () => {
    await page.getByLabel('Physiotherapy').check();
    await page.getByLabel('Soon').check();
    await page.getByRole('button', { name: 'Override the route' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.nhsuk-error-summary a').first().getAttribute('href')).to.equal('#override-reason');
    await checkAccessibility(page);
  });

  it('overrides with a reason, and the GP sees the new route and the reason', async () => {
    await page.getByLabel('Physiotherapy').check();
    await page.getByLabel('Soon').check();
    await page.getByLabel('Reason').fill('Seen in clinic: no sign of infection');
    await page.getByRole('button', { name: 'Override the route' }).click();
    await page.waitForURL(`**/queue/referrals/${reviewId}`);
    expect(await page.locator('main').textContent()).to.contain('Overridden').and.contain('Dr T Browser (triage clinician)');
    await checkAccessibility(page);
    const gpPage = await file.h.newPage();
    await signIn(gpPage, await tokenFor(file.db, 'gp', { practice: PRACTICE }));
    await gpPage.goto(`/referrals/${reviewId}`);
    expect(await gpPage.locator('main').textContent()).to.contain('A triage clinician changed this route').and.contain('Seen in clinic: no sign of infection');
    await checkAccessibility(gpPage);
  });

  it('corrects the review: the correction becomes the decision, the override before it kept among the earlier ones', async () => {
    await page.goto(`/queue/referrals/${reviewId}`);
    expect(await page.getByRole('heading', { name: 'Correct this review' }).count()).to.equal(1);
    await page.getByLabel('The community MSK interface service').check();
    await page.getByLabel('Urgent', { exact: true }).check();
    await page.getByLabel('Reason').fill('MRI reported since: refer to the interface service');
    await page.getByRole('button', { name: 'Correct this review' }).click();
    await page.waitForURL(`**/queue/referrals/${reviewId}`);
    const main = (await page.locator('main').textContent()) as string;
    expect(main).to.contain('MRI reported since').and.contain('Seen in clinic: no sign of infection');
    await checkAccessibility(page);
  });
});
