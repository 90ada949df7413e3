/**
 * Each role's journey done once with the keyboard alone (WCAG 2.2 AA, 2.1.1 Keyboard and 2.4.7
 * Focus Visible), in a real browser: focus moved only by Tab and Shift+Tab, radios answered with the
 * arrow keys and Space, lists chosen by typing, links and buttons used with Enter or Space. No
 * fill, check, select or click in any journey (test/support/keyboard.ts; only the first test, which
 * shows that the helpers fail, signs in with the mouse), and every stop of the Tab key visible with
 * the NHS focus style. No page may log a console error or fail a request; each page,
 * in each state the keyboard brings it to (an error summary, a filter open), is checked with axe
 * once in this file, to keep it fast (the other journeys check them as the mouse leaves them).
 *
 * One browser and one app for the file, on a database of its own with 1.0.0 active and the 1.1.0
 * draft (as the lead's journey has), so that the lead's impact simulation runs over the referrals
 * the GP and the clinician made here. The GP goes first, the lead (who activates 1.1.0) last.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { PATHWAY_TEXT } from '../../src/web/decision-text.js';
import { referralFormGroups } from '../../src/web/referral-form.js';
import type { Pathway } from '../../src/generated/decision.js';
import { tokenFor } from '../support/callers.js';
import { browserForFile, checkAccessibility, signIn } from '../support/browser.js';
import { activate, answerRadios, chooseOption, expectFocusOn, tabTo, tick, typeInto } from '../support/keyboard.js';
import { aReferral } from '../support/referral-factory.js';
import { version1RulesDir, version1Versions } from '../support/test-app.js';

const GP_PRACTICE = 'E82099';
// Two practices' referrals, routed by 1.0.0 (which asks for no review), so that the clinician's filter has one to leave out.
const CLINIC_PRACTICE = 'F82099';
const OTHER_PRACTICE = 'G82099';
const UUID_PATH = /\/[0-9a-f-]{36}$/;

/**
 * Signs in from the start page as a person with a keyboard does: Tab to Sign in, Enter, Tab to the
 * token, type it, Enter. The sign-in page is checked with axe when `check` is set (once in the file).
 */
async function signInByKeyboard(page: Page, token: string, home: string, { check = false } = {}): Promise<void> {
  await page.goto('/');
  // The design system's button-like link has the role of a button.
  await activate(page, page.getByRole('button', { name: 'Sign in' }));
  await page.waitForURL('**/sign-in');
  if (check) await checkAccessibility(page);
  await typeInto(page, page.locator('#token'), token);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**${home}`);
}

/**
 * The referral form (New referral, Try a referral) filled in by keyboard, field by field in the
 * form's own order, for a lumbar referral: every red flag answered (no, but those in `yes`), every
 * STarT Back question, the history; but the fields named in `leaveOut`. Typed or answered with the
 * arrow keys, never filled or clicked. A GP's form comes with their practice; a lead's does not.
 */
async function fillReferralByKeyboard(page: Page, { yes, typeOdsCode, leaveOut = [] }: { yes: readonly string[]; typeOdsCode: boolean; leaveOut?: readonly string[] }): Promise<void> {
  const answers: Record<string, string> = {
    'patient.nhsNumber': '9434765919',
    'patient.dateOfBirth': '1958-03-14',
    'patient.sex': 'female',
    ...(typeOdsCode ? { 'referrer.odsCode': 'J82001' } : {}),
    'complaint.bodySite': 'lumbar-spine',
    'complaint.side': 'left',
    'complaint.durationWeeks': '10',
    'complaint.onset': 'gradual',
    'complaint.painScore': '6',
    'startBack.bothersomeness': 'moderately',
    'history.nonSurgicalCareWeeks': '4',
    'history.previousInjection': 'no',
    'history.impactOnLife': 'moderate',
    'history.wantsSurgicalOpinion': 'no',
  };
  for (const group of referralFormGroups()) {
    for (const field of group.fields) {
      const flag = group.key === 'redFlags' ? (yes.includes(field.name.slice('redFlags.'.length)) ? 'yes' : 'no') : undefined;
      const startBack = group.key === 'startBack' && field.kind === 'yes-no' ? 'no' : undefined;
      const answer = flag ?? startBack ?? answers[field.name];
      if (answer === undefined || leaveOut.includes(field.name)) continue;
      if (field.kind === 'yes-no' || field.kind === 'choice') await answerRadios(page, field.name, answer);
      else await typeInto(page, page.locator(`#${field.id}`), answer);
    }
  }
}

/** The attempt fails with a message that matches: how the helpers are shown to fail. */
async function failsWith(attempt: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await attempt.then(() => undefined, (thrown: unknown) => thrown);
  expect(error, 'the helper should have failed').to.be.instanceOf(Error);
  expect((error as Error).message).to.match(message);
}

describe('each role’s journey with the keyboard alone', function () {
  // One browser and one app for this file, set up in before() and closed in after().
  const file = browserForFile({ ownDatabase: true, overrides: () => ({ registry: new RuleSetRegistry(version1Versions), config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: version1RulesDir } }) });
  this.timeout(90_000);

  it('fails a journey on a control the Tab key cannot reach, one hidden or shown without the focus style, or an answer that is not there', async () => {
    const page = await file.h.newPage();
    await signIn(page, await tokenFor(file.db, 'gp', { practice: 'H82099' }));
    await page.goto('/referrals/new');
    await failsWith(tabTo(page, page.locator('input[name="_idempotencyKey"]'), { max: 15 }), /not reached by 15 presses of Tab .*focus went: .*Skip to main content/);
    await page.goto('/referrals/new');
    // As the design system's visually-hidden class does: still focusable, but nothing to see.
    await page.locator('#patient-nhsNumber').evaluate((el: HTMLElement) => el.setAttribute('class', 'nhsuk-u-visually-hidden'));
    await failsWith(tabTo(page, page.locator('#patient-nhsNumber')), /focus is on something not visible: <input#patient-nhsNumber/);
    await page.goto('/referrals/new');
    await page.locator('#patient-dateOfBirth').evaluate((el: HTMLElement) => {
      el.style.setProperty('outline', 'none', 'important');
      el.style.setProperty('box-shadow', 'none', 'important');
    });
    await failsWith(tabTo(page, page.locator('#patient-dateOfBirth')), /focus is not shown \(no NHS yellow\) on <input#patient-dateOfBirth/);
    await failsWith(answerRadios(page, 'patient.sex', 'not-a-sex'), /no radio "not-a-sex" in the group patient.sex/);
    await failsWith(expectFocusOn(page, page.locator('main'), 'focus is elsewhere'), /focus is elsewhere: focus is on <input#patient-sex/);
  });

  describe('a GP', () => {
    let page: Page;
    let referralId: string;
    before(async () => {
      page = await file.h.newPage();
    });

    it('signs in from the start page, and skips to the main content with the first Tab', async () => {
      await signInByKeyboard(page, await tokenFor(file.db, 'gp', { practice: GP_PRACTICE, name: 'Dr K Board' }), '/referrals', { check: true });
      // The skip link is the first stop; Enter on it takes focus to the main content, so the next Tab is the page's own first control.
      await activate(page, page.getByRole('link', { name: 'Skip to main content' }), { max: 1 });
      await expectFocusOn(page, page.locator('main'), 'the skip link moves focus to the main content');
      await tabTo(page, page.getByRole('button', { name: 'New referral' }), { max: 1 });
    });

    it('opens New referral and sends it with a red flag unanswered: focus goes to the error summary, whose link leads to the question', async () => {
      // A link drawn as a button has the role of one, so it must answer Space too (the design system's script does it).
      await page.keyboard.press('Space');
      await page.waitForURL('**/referrals/new?form=*');
      await checkAccessibility(page);
      await fillReferralByKeyboard(page, { yes: ['saddleAnaesthesia'], typeOdsCode: false, leaveOut: ['redFlags.giantCellArteritisSymptoms'] });
      // The form comes back at the same address: wait for the answer to the POST, not for the address.
      const answered = page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/referrals/new');
      await activate(page, page.getByRole('button', { name: 'Submit referral' }));
      expect((await answered).status()).to.equal(200);
      await page.waitForLoadState('load');
      const summary = page.locator('.nhsuk-error-summary');
      await summary.waitFor();
      await expectFocusOn(page, summary, 'the error summary takes focus, so that it is read first');
      await checkAccessibility(page);
      await activate(page, summary.getByRole('link', { name: /: is required$/ }), { max: 3 });
      await expectFocusOn(page, page.locator('input[name="redFlags.giantCellArteritisSymptoms"]').first(), 'the error summary’s link moves focus to its question');
    });

    it('answers that question with the arrow keys, keeps every other answer, submits with Enter, and sees the emergency decision', async () => {
      await answerRadios(page, 'redFlags.giantCellArteritisSymptoms', 'no');
      expect(await page.locator('input[name="redFlags.saddleAnaesthesia"]:checked').getAttribute('value'), 'the answers given before are kept').to.equal('yes');
      await activate(page, page.getByRole('button', { name: 'Submit referral' }));
      await page.waitForURL(UUID_PATH);
      referralId = new URL(page.url()).pathname.split('/').at(-1) as string;
      expect(await page.locator('.nhsuk-card--care--emergency').textContent()).to.match(/emergency department|same day|today/i);
      await checkAccessibility(page);
    });

    it('goes to My practice’s referrals from the menu and opens the referral, by keyboard', async () => {
      await activate(page, page.getByRole('link', { name: "My practice's referrals", exact: true }));
      await page.waitForURL('**/referrals');
      await checkAccessibility(page);
      await activate(page, page.locator(`tbody a[href="/referrals/${referralId}"]`));
      await page.waitForURL(`**/referrals/${referralId}`);
      expect(await page.locator('h1').textContent()).to.equal('The decision');
    });
  });

  describe('a triage clinician', () => {
    let page: Page;
    let reviewId: string;
    let pathway: Pathway;
    before(async () => {
      const answer = await (await file.h.t.gpOf(CLINIC_PRACTICE)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: CLINIC_PRACTICE } })).expect(201);
      expect(answer.body.status).to.equal('routed');
      reviewId = answer.body.id as string;
      pathway = answer.body.decision.pathway as Pathway;
      await (await file.h.t.gpOf(OTHER_PRACTICE)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: OTHER_PRACTICE } })).expect(201);
      page = await file.h.newPage();
    });

    it('signs in to the queue and filters it by status, pathway and practice, by keyboard', async () => {
      await signInByKeyboard(page, await tokenFor(file.db, 'triage-clinician', { name: 'Dr K Clinician' }), '/queue');
      // Open statuses only, at first: the routed referrals are not listed.
      expect(await page.locator(`tbody a[href="/queue/referrals/${reviewId}"]`).count()).to.equal(0);
      // The filters are in a details element, closed until something is filtered: Enter opens it.
      await activate(page, page.locator('summary', { hasText: 'Filter the queue' }));
      await tick(page, page.getByRole('checkbox', { name: 'Routed' }));
      // The open statuses come ticked: ticking one again would untick it, which tick() refuses.
      await failsWith(tick(page, page.getByRole('checkbox', { name: 'Awaiting a clinician’s review' })), /was ticked already/);
      await chooseOption(page, page.locator('#pathway'), PATHWAY_TEXT[pathway]);
      await typeInto(page, page.locator('#practice'), CLINIC_PRACTICE);
      await activate(page, page.locator('form[action="/queue"] button'));
      await page.waitForURL(/\/queue\?/);
      const query = new URL(page.url()).searchParams;
      expect([query.getAll('status'), query.get('pathway'), query.get('practice')]).to.deep.equal([['routed', 'awaiting-review', 'awaiting-manual-triage'], pathway, CLINIC_PRACTICE]);
      const links = page.locator('tbody a[href^="/queue/referrals/"]');
      expect(await links.count()).to.equal(1);
      await checkAccessibility(page);
    });

    it('opens the referral from the queue; an override without a reason puts focus on the error summary, whose link leads to the reason', async () => {
      await activate(page, page.locator(`tbody a[href="/queue/referrals/${reviewId}"]`));
      await page.waitForURL(`**/queue/referrals/${reviewId}`);
      await checkAccessibility(page);
      await answerRadios(page, 'pathway', 'physio');
      await answerRadios(page, 'urgency', 'soon');
      await activate(page, page.getByRole('button', { name: 'Override the route' }));
      await page.waitForLoadState('load');
      const summary = page.locator('.nhsuk-error-summary');
      await summary.waitFor();
      await expectFocusOn(page, summary, 'the error summary takes focus, so that it is read first');
      await checkAccessibility(page);
      await activate(page, summary.getByRole('link', { name: /^Reason:/ }), { max: 3 });
      await expectFocusOn(page, page.locator('#override-reason'), 'the error summary’s link moves focus to its field');
    });

    it('overrides the route with a service and a reason, sent with Space, and sees the result', async () => {
      await page.keyboard.type('Seen in clinic: no sign of infection');
      // The service comes before the reason: back to it with Shift+Tab.
      await tabTo(page, page.locator('#override-service'), { backwards: true, max: 3 });
      await page.keyboard.type('msk-physiotherapy');
      await tabTo(page, page.getByRole('button', { name: 'Override the route' }));
      await page.keyboard.press('Space');
      await page.waitForURL(`**/queue/referrals/${reviewId}`);
      await page.waitForLoadState('load');
      expect(await page.locator('.nhsuk-error-summary').count()).to.equal(0);
      const main = (await page.locator('main').textContent()) as string;
      expect(main).to.contain('Overridden').and.contain('Seen in clinic: no sign of infection').and.contain('Dr K Clinician (triage clinician)');
      expect(await page.getByRole('heading', { name: 'Correct this review' }).count()).to.equal(1);
      await checkAccessibility(page);
    });
  });

  describe('a clinical lead', () => {
    let page: Page;
    const versionPath = '/rulesets/msk-triage/versions/1.1.0';
    before(async () => {
      page = await file.h.newPage();
    });

    it('signs in to Rule sets and opens the draft 1.1.0, by keyboard', async () => {
      await signInByKeyboard(page, await tokenFor(file.db, 'clinical-lead', { name: 'Dr K Lead' }), '/rulesets');
      await checkAccessibility(page);
      await activate(page, page.getByRole('link', { name: '1.1.0', exact: true }));
      await page.waitForURL(`**${versionPath}`);
      await checkAccessibility(page);
    });

    it('tries a referral against the draft, filled in and sent by keyboard, and sees its decision', async () => {
      await activate(page, page.getByRole('link', { name: 'Try a referral against this version' }));
      await page.waitForURL(`**${versionPath}/try`);
      await fillReferralByKeyboard(page, { yes: ['saddleAnaesthesia'], typeOdsCode: true });
      await activate(page, page.getByRole('button', { name: 'Try this referral' }));
      await page.waitForLoadState('load');
      await page.locator('#decision').waitFor();
      expect(await page.locator('.nhsuk-error-summary').allTextContents()).to.deep.equal([]); // no error summary (and its text if one is shown)
      expect(await page.locator('#decision + dl').textContent()).to.contain('Emergency');
      await checkAccessibility(page);
    });

    it('compares two versions, chosen in the lists by typing', async () => {
      await activate(page, page.getByRole('link', { name: 'Rule sets', exact: true }));
      await page.waitForURL('**/rulesets');
      await activate(page, page.getByRole('link', { name: 'Compare two versions' }));
      await page.waitForURL('**/rulesets/msk-triage/compare');
      await failsWith(chooseOption(page, page.locator('#from'), '9.9.9'), /typed "9.9.9" in locator\('#from'\)/);
      await chooseOption(page, page.locator('#from'), '1.0.0');
      await chooseOption(page, page.locator('#to'), '1.1.0');
      await activate(page, page.getByRole('button', { name: 'Compare' }));
      await page.waitForURL('**/compare?from=1.0.0&to=1.1.0');
      expect(await page.locator('h2').first().textContent()).to.equal('From 1.0.0 to 1.1.0');
      await checkAccessibility(page);
    });

    it('runs the draft’s impact over the referrals stored here, by keyboard', async () => {
      await activate(page, page.getByRole('link', { name: 'Rule sets', exact: true }));
      await page.waitForURL('**/rulesets');
      await activate(page, page.getByRole('link', { name: '1.1.0', exact: true }));
      await page.waitForURL(`**${versionPath}`);
      await activate(page, page.getByRole('button', { name: 'Run the impact simulation' }), { max: 80 });
      await page.waitForURL(`**${versionPath}/impact`, { timeout: 30_000 });
      expect(await page.locator('dl').first().textContent()).to.match(/Stored referrals\s*3/);
      await checkAccessibility(page);
    });

    it('approves the draft with a note, a second lead approves it, and it is activated with reasons: every form by keyboard', async () => {
      await activate(page, page.getByRole('link', { name: 'Back to 1.1.0' }));
      await page.waitForURL(`**${versionPath}`);
      await typeInto(page, page.locator('#approve-note'), 'Read every rule and case');
      await page.keyboard.press('Enter'); // Enter in a text box sends its form
      await page.waitForURL(`**${versionPath}?done=approved`, { timeout: 30_000 });
      await expectFocusOn(page, page.locator('.nhsuk-notification-banner--success'), 'the success banner takes focus, so that it is read first');

      // Activating alone is refused: focus goes to the refusal, and its link back to the forms.
      await typeInto(page, page.locator('#activate-reason'), 'Adds the 1.1 contract items');
      await activate(page, page.getByRole('button', { name: 'Activate 1.1.0' }));
      const refusal = page.locator('.nhsuk-error-summary');
      await refusal.waitFor({ timeout: 30_000 });
      await expectFocusOn(page, refusal, 'the refusal takes focus, so that it is read first');
      expect(await refusal.textContent()).to.match(/second|another|approv/i);
      await checkAccessibility(page);
      await activate(page, refusal.getByRole('link').first(), { max: 3 });
      await expectFocusOn(page, page.locator('#actions'), 'the refusal’s link moves focus to the forms it is about');

      const second = await file.h.newPage();
      await signInByKeyboard(second, await tokenFor(file.db, 'clinical-lead', { name: 'Dr K Second' }), '/rulesets');
      await activate(second, second.getByRole('link', { name: '1.1.0', exact: true }));
      await second.waitForURL(`**${versionPath}`);
      await activate(second, second.getByRole('button', { name: 'Approve 1.1.0' }), { max: 80 });
      await second.waitForURL(`**${versionPath}?done=approved`, { timeout: 30_000 });

      // Back on the first lead's page, now that a second lead has approved.
      await typeInto(page, page.locator('#activate-reason'), 'Adds the 1.1 contract items');
      // 1.1.0's effectiveFrom is after the test clock's day: activated now, with the reason why.
      await typeInto(page, page.locator('#activate-early'), 'Wanted for the pilot now');
      await activate(page, page.getByRole('button', { name: 'Activate 1.1.0' }));
      await page.waitForURL(`**${versionPath}?done=activated`, { timeout: 30_000 });
      await expectFocusOn(page, page.locator('.nhsuk-notification-banner--success'), 'the success banner takes focus, so that it is read first');
      expect(await page.locator('.nhsuk-error-summary').allTextContents()).to.deep.equal([]); // no error summary (and its text if one is shown)
      await checkAccessibility(page);
    });
  });
});
