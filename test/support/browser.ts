/**
 * A real browser for the web pages' tests: Debian's Chromium driven by playwright-core, against the
 * app listening on loopback (the run's database: embedded PGlite, or PostgreSQL with
 * TEST_DATABASE_URL). One browser and one listener per test file. Every page a test opens fails
 * the test on a console error, an uncaught exception, a request that failed (a blocked or broken
 * asset), or an answer of 500 or more; `checkAccessibility` runs axe-core's WCAG 2.2 A and AA rules
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
import { testApp, type TestApp } from './test-app.js';

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
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.method()} ${new URL(request.url()).pathname} (${request.failure()?.errorText ?? ''})`));
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
