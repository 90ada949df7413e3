/**
 * A GP's journey in a real browser (Chromium): sign in with a personal token, fill in New referral
 * with a red flag, and see the emergency decision; every page free of console errors, failed
 * requests and axe violations. Takes the screenshot of the GP's main page for the README.
 */
import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { tokenFor } from '../support/callers.js';
import { browserForFile, checkAccessibility, fillReferral, signIn } from '../support/browser.js';
import { db } from '../support/test-app.js';

// A practice of this file's own (the run's database is new each run), so that the screenshot is the same each time.
const practice = 'B82099';
let page: Page;

describe('a GP in the browser', function () {
  // One browser and one app for this file, set up in before() and closed in after().
  const file = browserForFile();
  this.timeout(60_000);
  before(async () => {
    page = await file.h.newPage();
  });

  it('starts on a start page that offers to sign in', async () => {
    await page.goto('/');
    expect(await page.locator('h1').textContent()).to.equal('Triage a musculoskeletal referral');
    await checkAccessibility(page);
  });

  it('signs in with the keyboard alone: Tab to the token, type it, Enter', async () => {
    const keyboardOnly = await file.h.newPage();
    await keyboardOnly.goto('/sign-in');
    for (let presses = 0; presses < 10 && (await keyboardOnly.evaluate(() => document.activeElement?.id)) !== 'token'; presses += 1) await keyboardOnly.keyboard.press('Tab');
    await keyboardOnly.keyboard.type(await tokenFor(db, 'gp', { practice, name: 'Dr A Browser' }));
    await keyboardOnly.keyboard.press('Enter');
    await keyboardOnly.waitForURL('**/referrals');
    expect(await keyboardOnly.getByTestId('signed-in').textContent()).to.equal(`Dr A Browser, GP, ${practice}`);
  });

  it('signs in with a personal token and sees their name, role and practice in the header', async () => {
    await signIn(page, await tokenFor(db, 'gp', { practice, name: 'Dr A Browser' }));
    expect(new URL(page.url()).pathname).to.equal('/referrals');
    expect(await page.getByTestId('signed-in').textContent()).to.equal(`Dr A Browser, GP, ${practice}`);
    await checkAccessibility(page);
  });

  it('is told each unanswered red flag in the error summary, linked to its question', async () => {
    await page.goto('/referrals/new');
    await checkAccessibility(page);
    await page.getByRole('button', { name: 'Submit referral' }).click();
    await page.waitForLoadState('load');
    const summary = page.locator('.nhsuk-error-summary');
    expect(await summary.isVisible()).to.equal(true);
    const link = summary.getByRole('link', { name: 'Numbness in the saddle, perianal or genital area: is required' });
    expect(await link.getAttribute('href')).to.equal('#redFlags-saddleAnaesthesia');
    await checkAccessibility(page);
  });

  it('submits a referral with a red flag and sees the emergency care card with the rule’s advice', async () => {
    await page.goto('/referrals/new');
    await fillReferral(page, ['saddleAnaesthesia']);
    await page.getByRole('button', { name: 'Submit referral' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    const card = page.locator('.nhsuk-card--care--emergency');
    expect(await card.isVisible()).to.equal(true);
    expect(await card.textContent()).to.match(/emergency department|same day|today/i);
    await checkAccessibility(page);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/gp-emergency-decision.png' });
  });

  it('goes Back to the form it sent and is shown that referral, sent once, not a fresh form to send again', async () => {
    const decisionUrl = page.url();
    await page.goBack();
    await page.waitForURL((url) => url.search === '?sent=already');
    expect(new URL(page.url()).pathname).to.equal(new URL(decisionUrl).pathname);
    expect(await page.locator('.nhsuk-notification-banner').textContent()).to.contain('You have already sent this referral');
    await checkAccessibility(page);
  });

  it('lists the referral on the practice’s list, newest first, and takes the screenshot of that page', async () => {
    await page.goto('/referrals');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().textContent()).to.contain('Emergency');
    await checkAccessibility(page);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/gp-practice-referrals.png', fullPage: true });
  });
});
