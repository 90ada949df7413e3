/**
 * The repository documents itself: every Markdown link resolves to a file in the repository, and an
 * anchor to a heading of its target (GitHub's slugs); nothing links outside (no `../shared`, no
 * absolute path, no web address). The documents' tables of roles, error codes, contract fields and
 * rules are checked against the code they describe.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PAGE_POLICY, POLICY } from '../../src/auth/access-policy.js';
import { ERRORS } from '../../src/domain/error-catalogue.js';
import { ERROR_STATUS } from '../../src/http/error-status.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'data', 'coverage']);

/** Every *.md file under `root`, as paths relative to it. */
function markdownFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) ? [] : markdownFiles(root, full);
    return entry.name.endsWith('.md') ? [path.relative(root, full)] : [];
  });
}

/** The text outside fenced code blocks, with inline code removed: what can hold links. */
function prose(markdown: string): string {
  let fenced = false;
  const lines = markdown.split('\n').map((line) => {
    if (/^ {0,3}(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
  return lines.join('\n').replace(/(`+)[\s\S]*?\1/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/\*+/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown document offers: its headings' slugs (a repeated one gets -1, -2, …). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^ {0,3}(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^ {0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** Every link destination of a document: inline links and images, reference definitions, autolinks. */
function destinations(markdown: string): string[] {
  const text = prose(markdown);
  const INLINE = /\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g;
  const REFERENCE = /^ {0,3}\[[^\]]+\]:\s*(\S+)/gm;
  const AUTOLINK = /<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi;
  const found = [INLINE, REFERENCE, AUTOLINK].flatMap((pattern) => [...text.matchAll(pattern)].map((m) => (m[1] ?? '').replace(/^<|>$/g, '')));
  // GitHub also links a web address written out in the text.
  const rest = text.replace(INLINE, '').replace(REFERENCE, '').replace(AUTOLINK, '');
  return [...found, ...[...rest.matchAll(/\bhttps?:\/\/[^\s)>\]]+/g)].map((m) => m[0])];
}

/** What is wrong with the links of `file` (relative to `root`): one message per broken link. */
function linkProblems(root: string, file: string): string[] {
  const markdown = readFileSync(path.join(root, file), 'utf8');
  return destinations(markdown).flatMap((link) => {
    const problem = (why: string) => [`${file}: (${link}) ${why}`];
    if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) return problem('leaves the repository: write it as plain text, or link a document in the repository');
    if (link.startsWith('/')) return problem('is an absolute path: link relative to this file');
    const [target = '', anchor] = link.split('#', 2);
    const resolved = target === '' ? path.join(root, file) : path.resolve(root, path.dirname(file), decodeURIComponent(target));
    const inside = path.relative(root, resolved);
    if (inside.startsWith('..') || path.isAbsolute(inside)) return problem('leaves the repository');
    if (!existsSync(resolved)) return problem('names no file in the repository');
    if (anchor === undefined) return [];
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return problem('has an anchor, but its target is not a Markdown document');
    return anchors(readFileSync(resolved, 'utf8')).has(anchor) ? [] : problem(`names no heading of ${inside}`);
  });
}

/** The rows of the Markdown table that follows `heading` in `markdown`: its cells, back-quotes removed. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  expect(start, `no "${heading}"`).to.be.greaterThan(-1);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
  }
  return rows;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the link checker', () => {
  it("makes GitHub's anchors, repeated headings numbered", () => {
    expect(slug('13. Test cases (`cases.json`)')).to.equal('13-test-cases-casesjson');
    expect(slug('OpenID Connect (an identity provider such as NHS CIS2)')).to.equal('openid-connect-an-identity-provider-such-as-nhs-cis2');
    expect(slug('12. The ratchet: the safety net cannot be switched off')).to.equal('12-the-ratchet-the-safety-net-cannot-be-switched-off');
    expect(slug('What changed from 1.0.0')).to.equal('what-changed-from-100');
    expect([...anchors('# A\n## Step 1\n```\n## not a heading\n```\n## Step 1\n')]).to.deep.equal(['a', 'step-1', 'step-1-1']);
  });

  it('finds every broken, outside or absolute link, and none in code', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'links-'));
    try {
      writeFileSync(path.join(root, 'other.md'), '# Other\n## The part\n');
      writeFileSync(
        path.join(root, 'doc.md'),
        [
          '# Doc', '## Here', '[fine](other.md#the-part) [self](#here) [wrapped', 'text](other.md)',
          '[gone](missing.md) [bad anchor](other.md#nowhere) [spec](../shared/spec/referral-contract.md)',
          '[web](https://example.org/x) [root](/etc/hosts) see http://127.0.0.1:3000/openapi.json',
          '`[in code](missing.md)`', '```', '[in a fence](missing.md)', '```',
        ].join('\n'),
      );
      expect(linkProblems(root, 'doc.md')).to.deep.equal([
        'doc.md: (missing.md) names no file in the repository',
        'doc.md: (other.md#nowhere) names no heading of other.md',
        'doc.md: (../shared/spec/referral-contract.md) leaves the repository',
        'doc.md: (https://example.org/x) leaves the repository: write it as plain text, or link a document in the repository',
        'doc.md: (/etc/hosts) is an absolute path: link relative to this file',
        'doc.md: (http://127.0.0.1:3000/openapi.json) leaves the repository: write it as plain text, or link a document in the repository',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the Markdown documents of the repository', () => {
  const files = markdownFiles(ROOT);

  it('include the READMEs and the documents of docs/', () => {
    expect(files).to.include.members(['README.md', path.join('rules', 'README.md'), path.join('docs', 'README.md'), path.join('docs', 'referral-contract.md'), path.join('docs', 'msk-policy.md'), path.join('docs', 'http-api.md')]);
  });

  it('link only to files and headings inside the repository', () => {
    expect(files.flatMap((file) => linkProblems(ROOT, file))).to.deep.equal([]);
  });
});

describe('the documents against the code', () => {
  it('docs/http-api.md gives every endpoint of the access policy with exactly its roles', () => {
    const documented = Object.fromEntries(tableAfter(read('docs/http-api.md'), '## Who may call what').map(([endpoint = '', roles = '']) => [endpoint, roles.split(', ').sort()]));
    const policy = Object.fromEntries(
      Object.entries(POLICY).flatMap(([route, methods]) => Object.entries(methods).map(([method, roles]) => [`${method} ${route.replace(/:([A-Za-z]+)/g, '{$1}')}`, [...roles].sort()])),
    );
    expect(documented).to.deep.equal(policy);
  });

  it('the README gives every web page with exactly the roles the access policy gives it', () => {
    const WHO: Record<string, string[]> = { GP: ['gp'], 'GP of the practice': ['gp'], 'triage clinician': ['triage-clinician'], 'clinical lead': ['clinical-lead'] };
    const documented: Record<string, string[]> = {};
    for (const [, routes = '', who = ''] of tableAfter(read('README.md'), '## Using the web pages')) {
      if (who.startsWith('anyone')) continue;
      // `GET`/`POST /referrals/new`, `GET /queue/referrals/{id}`, `GET /rulesets/{id}/compare?from=…`
      for (const [, methods = '', route = ''] of routes.matchAll(/((?:GET|POST)(?:\/(?:GET|POST))*) (\/[^\s,?]*)/g)) {
        for (const method of methods.split('/')) documented[`${method} ${route}`] = WHO[who] ?? [`unknown: ${who}`];
      }
    }
    const policy = Object.fromEntries(
      Object.entries(PAGE_POLICY).flatMap(([route, methods]) => Object.entries(methods).map(([method, roles]) => [`${method} ${route.replace(/:([A-Za-z]+)/g, '{$1}')}`, [...roles]])),
    );
    expect(documented).to.deep.equal(policy);
  });

  it('docs/http-api.md documents exactly the error catalogue, each code with its status', () => {
    const documented = Object.fromEntries(tableAfter(read('docs/http-api.md'), 'The catalogue:').map(([code = '', status = '']) => [code, Number(status)]));
    expect(documented).to.deep.equal(Object.fromEntries(Object.keys(ERRORS).map((code) => [code, ERROR_STATUS[code as keyof typeof ERRORS]])));
  });

  it('docs/referral-contract.md describes every field of the referral schema and each of its coded values', () => {
    const doc = read('docs/referral-contract.md');
    const rows = new Set(doc.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('`')[1]));
    const missing: string[] = [];
    const walk = (schema: Record<string, unknown>, at: string): void => {
      for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        const field = at ? `${at}.${name}` : name;
        if (child.type !== 'object' && !rows.has(field)) missing.push(field);
        const values = (child.enum ?? (child.items as Record<string, unknown> | undefined)?.enum ?? []) as string[];
        for (const value of values) if (!doc.includes(`\`${value}\``)) missing.push(`${field} = ${value}`);
        walk(child, field);
      }
    };
    walk(JSON.parse(read('schemas/referral.schema.json')) as Record<string, unknown>, '');
    expect(missing).to.deep.equal([]);
  });

  it("docs/msk-policy.md lists every rule of msk-triage 2.0.0 once, with the rule's route", () => {
    const ruleset = JSON.parse(read('rules/msk-triage/2.0.0/ruleset.json')) as { rules: Array<{ id: string; route: { pathway: string; urgency: string; service: string } }> };
    const rows = read('docs/msk-policy.md').split('\n').filter((line) => /^\| MSK-[A-Z]\d+ \|/.test(line));
    expect(rows.map((row) => row.split(' | ')[0]?.slice(2))).to.have.members(ruleset.rules.map((rule) => rule.id));
    for (const rule of ruleset.rules.filter((r) => !r.id.startsWith('MSK-N'))) {
      const { pathway, urgency, service } = rule.route;
      expect(rows.find((row) => row.startsWith(`| ${rule.id} |`)), rule.id).to.contain(`${pathway} / ${urgency} / \`${service}\``);
    }
  });
});
