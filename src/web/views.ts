/**
 * The pages' templates: Nunjucks, with nhsuk-frontend's own macros (`nhsuk/components/…/macro.njk`)
 * found in the installed package, and ours in src/web/templates. Autoescaped; compiled once and kept.
 * Two filters of ours: `answer` gives a referral's answer in the form's words, `day` a date as the NHS writes it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { dayText } from './decision-text.js';
import { answerText } from './referral-form.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The installed nhsuk-frontend's dist/ folder: its templates under nhsuk/, its built assets under nhsuk/. */
export const NHSUK_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')), 'dist');
export const TEMPLATES_DIR = path.join(here, 'templates');

export type Views = { render(name: string, context: Record<string, unknown>): string };

export function createViews(): Views {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([TEMPLATES_DIR, NHSUK_DIST]), { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  // `{{ value | answer(field) }}`: a referral's answer in the form's words (referral-summary.njk).
  env.addFilter('answer', (value: unknown, field: Parameters<typeof answerText>[0]) => answerText(field, value));
  // `{{ date | day }}`: "14 March 1958", as the NHS writes dates.
  env.addFilter('day', dayText);
  return { render: (name, context) => env.render(name, context) };
}
