/**
 * A real browser for the web pages' tests: Debian's Chromium driven by playwright-core, against the
 * app listening on loopback (the run's database: embedded PGlite, or PostgreSQL with
 * TEST_DATABASE_URL). One browser and one listener per test file. Every page a test opens fails
 * the test on a console error, an uncaught exception, a request that failed (a blocked or broken
 * asset; not one the browser itself drops as it leaves the page), an asset answered 4xx, or any
 * answer of 500 or more; `checkAccessibility` runs axe-core's WCAG 2.2 A and AA rules
 * (plus its best practices) and fails on any violation. axe is evaluated through the DevTools
 * protocol, which the page's Content-Security-Policy does not govern, so the production CSP stays as
 * strict in the tests as it is in service.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppDeps } from '../../src/app.js';
import type { Database } from '../../src/store/database.js';
import { db as runDatabase, testApp, type TestApp } from './test-app.js';
import { freshDatabase } from './test-database.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface BrowserHarness {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A new browser context (its own cookies) and page, watched for errors. */
  newPage(): Promise<Page>;
  /** What went wrong on the pages opened since the last call (and forgets it). */
  takeProblems(): string[];
  close(): Promise<void>;
}

export async function browserHarness(overrides: Partial<AppDeps> = {}): Promise<BrowserHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), or set CHROMIUM_PATH`);
  const t = await testApp(overrides);
  const server: Server = t.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // As root (CI here), Chromium's sandbox cannot start: --no-sandbox, for a browser that opens this app only.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const contexts: BrowserContext[] = [];
  let problems: string[] = [];

  return {
    t,
    baseUrl,
    browser,
    async newPage() {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1024, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      // Fail fast: a page of this app answers in milliseconds, not in Playwright's default 30 s.
      page.setDefaultTimeout(5_000);
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
      page.on('requestfailed', (request) => {
        // ERR_ABORTED is the browser dropping a request of the page it is leaving (a favicon as a form is sent): no failure of ours.
        // A blocked or missing asset still fails: ERR_BLOCKED_BY_CSP and the like here, a 4xx below.
        const reason = request.failure()?.errorText ?? '';
        if (reason !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.method()} ${new URL(request.url()).pathname} (${reason})`);
      });
      page.on('response', (response) => {
        if (response.status() >= 500) problems.push(`answered ${response.status()}: ${response.request().method()} ${new URL(response.url()).pathname}`);
        else if (response.status() >= 400 && !response.request().isNavigationRequest()) problems.push(`asset answered ${response.status()}: ${new URL(response.url()).pathname}`);
      });
      return page;
    },
    takeProblems() {
      const taken = problems;
      problems = [];
      return taken;
    },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface AxeResults {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
}

/** axe-core on the page as it is now: no violation of WCAG 2.2 A/AA or of axe's best practices. */
export async function checkAccessibility(page: Page): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<AxeResults> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
  });
  const found = results.violations.map((v) => `${v.id} (${v.impact ?? ''}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  expect(found, `axe violations on ${page.url()}`).to.deep.equal([]);
}

/** Signs in on the sign-in page with a token, as a person would: typed, then the button. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Your personal token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

/** The referral form (New referral, Try a referral) filled in for a lumbar referral, as a person would: every red flag answered no but those in `yes`. */
export async function fillReferral(p: Page, yes: readonly string[]): Promise<void> {
  await p.locator('#patient-nhsNumber').fill('9434765919');
  await p.locator('#patient-dateOfBirth').fill('1958-03-14');
  // A GP's form comes with their practice; a clinical lead's Try a referral does not.
  if ((await p.locator('#referrer-odsCode').inputValue()) === '') await p.locator('#referrer-odsCode').fill('J82001');
  await p.locator('input[name="patient.sex"][value="female"]').check();
  for (const [name, value] of [['complaint.bodySite', 'lumbar-spine'], ['complaint.side', 'left'], ['complaint.onset', 'gradual']]) await p.locator(`input[name="${name}"][value="${value}"]`).check();
  await p.locator('#complaint-durationWeeks').fill('10');
  await p.locator('#complaint-painScore').fill('6');
  const redFlags = await p.locator('input[name^="redFlags."][value="no"]').all();
  for (const radio of redFlags) {
    const name = (await radio.getAttribute('name')) as string;
    await p.locator(`input[name="${name}"][value="${yes.includes(name.slice('redFlags.'.length)) ? 'yes' : 'no'}"]`).check();
  }
  for (const radio of await p.locator('input[name^="startBack."][value="no"]').all()) await radio.check();
  await p.locator('input[name="startBack.bothersomeness"][value="moderately"]').check();
  await p.locator('#history-nonSurgicalCareWeeks').fill('4');
  for (const name of ['history.previousInjection', 'history.wantsSurgicalOpinion']) await p.locator(`input[name="${name}"][value="no"]`).check();
  await p.locator('input[name="history.impactOnLife"][value="moderate"]').check();
}


/**
 * The file's browser and app, set up once in `before` (on a database of the file's own when asked)
 * and closed in `after`; after each test, no page may have had a console error, a failed request
 * or a server error.
 */
export function browserForFile(options: { ownDatabase?: boolean; overrides?: (db: Database) => Partial<AppDeps> } = {}): { readonly h: BrowserHarness; readonly db: Database } {
  let harness: BrowserHarness | undefined;
  let own: { db: Database; dispose: () => Promise<void> } | undefined;
  before(async () => {
    if (options.ownDatabase) own = await freshDatabase();
    const db = own?.db ?? runDatabase;
    harness = await browserHarness({ ...(own ? { db } : {}), ...options.overrides?.(db) });
  });
  after(async () => {
    await harness?.close();
    await own?.dispose();
  });
  afterEach(() => {
    expect(harness?.takeProblems(), 'console errors, failed requests or server errors').to.deep.equal([]);
  });
  return {
    get h() {
      if (!harness) throw new Error('the browser starts in before()');
      return harness;
    },
    get db() {
      return own?.db ?? runDatabase;
    },
  };
}
