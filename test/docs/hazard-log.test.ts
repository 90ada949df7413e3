/**
 * The clinical safety hazard log (docs/clinical-safety/hazard-log.md) is evidence a Clinical Safety
 * Officer signs: every hazard has controls, every control names the test that proves it, every
 * named test exists with the quoted title, and every risk rating follows the DCB0129 matrix.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const LOG_FILE = 'docs/clinical-safety/hazard-log.md';
const REPORT_FILE = 'docs/clinical-safety/safety-case-report.md';

const SEVERITIES = ['Minor', 'Significant', 'Considerable', 'Major', 'Catastrophic'] as const;
const LIKELIHOODS = ['Very low', 'Low', 'Medium', 'High', 'Very high'] as const;
type Severity = (typeof SEVERITIES)[number];
type Likelihood = (typeof LIKELIHOODS)[number];

/** The DCB0129/DCB0160 risk matrix: likelihood → risk for each severity, Minor to Catastrophic. */
const MATRIX: Record<Likelihood, readonly [number, number, number, number, number]> = {
  'Very high': [3, 4, 4, 5, 5],
  High: [2, 3, 3, 4, 5],
  Medium: [2, 2, 3, 3, 4],
  Low: [1, 2, 2, 3, 4],
  'Very low': [1, 1, 2, 2, 3],
};

const REQUIRED_FIELDS = [
  'Hazard', 'Causes', 'Effect', 'Possible harm',
  'Initial severity', 'Initial likelihood', 'Initial risk',
  'Residual severity', 'Residual likelihood', 'Residual risk', 'Status',
] as const;
const STATUSES = ['Closed', 'Transferred', 'Open'] as const;

interface TestReference { file: string; title: string }
interface Control { number: string; text: string; tests: TestReference[]; malformed: string[] }
interface Hazard { id: string; title: string; fields: Map<string, string>; controls: Control[] | undefined }
interface RegisterRow { id: string; initialRisk: string; residualRisk: string; status: string }
interface HazardLog { hazards: Hazard[]; register: RegisterRow[] }

/** How a control names a test: `test/path/file.test.ts` › literal title text */
const TEST_REFERENCE = /^`(test\/[^`]+\.test\.ts)` › (.+?)\s*$/;

/** Reads the hazard sections (### Hnn. title), their field tables, their controls, and the register. */
function parseHazardLog(markdown: string): HazardLog {
  const lines = markdown.split('\n');
  const hazards: Hazard[] = [];
  const register: RegisterRow[] = [];
  let hazard: Hazard | undefined;
  let inControls = false;
  for (const line of lines) {
    const heading = /^### (H\d+)\.?\s+(.*)$/.exec(line);
    if (heading) {
      hazard = { id: heading[1] as string, title: (heading[2] as string).trim(), fields: new Map(), controls: undefined };
      hazards.push(hazard);
      inControls = false;
      continue;
    }
    if (/^#{1,3} /.test(line)) {
      hazard = undefined;
      inControls = false;
      continue;
    }
    const row = /^\|(.*)\|\s*$/.exec(line);
    if (!hazard) {
      const cells = row?.[1]?.split('|').map((cell) => cell.trim());
      if (cells && /^H\d+$/.test(cells[0] ?? '')) {
        register.push({ id: cells[0] as string, initialRisk: cells[2] ?? '', residualRisk: cells[3] ?? '', status: cells[4] ?? '' });
      }
      continue;
    }
    if (line.trim() === '**Controls**') {
      hazard.controls = [];
      inControls = true;
      continue;
    }
    if (inControls && hazard.controls) {
      const item = /^(\d+)\.\s+(.*)$/.exec(line);
      const bullet = /^\s+-\s+(.*)$/.exec(line);
      const current = hazard.controls.at(-1);
      if (item) {
        hazard.controls.push({ number: item[1] as string, text: item[2] as string, tests: [], malformed: [] });
        continue;
      }
      if (bullet && current) {
        const reference = TEST_REFERENCE.exec((bullet[1] as string).trim());
        if (reference) current.tests.push({ file: reference[1] as string, title: reference[2] as string });
        else current.malformed.push((bullet[1] as string).trim());
        continue;
      }
      if (/^\s+\S/.test(line) && current) {
        current.text += ` ${line.trim()}`;
        continue;
      }
      if (line.trim() === '') continue;
      inControls = false;
    }
    const field = /^\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (field && field[1] && !/^-+$/.test(field[1])) hazard.fields.set(field[1], field[2] ?? '');
  }
  return { hazards, register };
}

/** Skips a quoted string starting at `start` (the quote); returns the index after its closing quote. */
function skipString(source: string, start: number): number {
  const quote = source[start];
  let i = start + 1;
  while (i < source.length && source[i] !== quote) i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Skips a `${ … }` expression starting at `start` (the `$`); returns the index after its `}`. */
function skipExpression(source: string, start: number): number {
  let depth = 0;
  let i = start + 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    } else if (c === "'" || c === '"') {
      i = skipString(source, i);
      continue;
    } else if (c === '`') {
      i = templateParts(source, i).end;
      continue;
    }
    i += 1;
  }
  return i;
}

/** The literal parts of a template literal starting at `start` (the backtick), and where it ends. */
function templateParts(source: string, start: number): { parts: string[]; end: number } {
  const parts: string[] = [];
  let part = '';
  let i = start + 1;
  while (i < source.length && source[i] !== '`') {
    if (source[i] === '\\') {
      part += unescape(source.slice(i, i + 2));
      i += 2;
    } else if (source[i] === '$' && source[i + 1] === '{') {
      parts.push(part);
      part = '';
      i = skipExpression(source, i);
    } else {
      part += source[i];
      i += 1;
    }
  }
  parts.push(part);
  return { parts: parts.filter((p) => p !== ''), end: i + 1 };
}

const unescape = (escape: string): string => ({ '\\n': '\n', '\\t': '\t' } as Record<string, string>)[escape] ?? escape.slice(1);

/**
 * The literal text of every it(…) and describe(…) title in a test file's source: a plain string
 * whole, a template literal as its literal parts (never the `${…}` expressions).
 */
function titlesIn(source: string): string[] {
  const titles: string[] = [];
  for (const match of source.matchAll(/\b(?:it|describe|context|specify)(?:\.only|\.skip)?\(\s*(['"`])/g)) {
    const start = (match.index ?? 0) + match[0].length - 1;
    if (match[1] === '`') {
      titles.push(...templateParts(source, start).parts);
    } else {
      const end = skipString(source, start);
      titles.push(source.slice(start + 1, end - 1).replace(/\\./g, unescape));
    }
  }
  return titles;
}

/**
 * Every problem of a hazard log, as sentences; `read` gives a file's text, or undefined if it does
 * not exist. The register (the summary table), when the log has one, must agree with the sections.
 */
function problemsIn(log: HazardLog, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  const titleCache = new Map<string, string[] | undefined>();
  const titlesOf = (file: string) => {
    if (!titleCache.has(file)) {
      const source = read(file);
      titleCache.set(file, source === undefined ? undefined : titlesIn(source));
    }
    return titleCache.get(file);
  };

  log.hazards.forEach((hazard, index) => {
    const { id } = hazard;
    const expectedId = `H${String(index + 1).padStart(2, '0')}`;
    if (id !== expectedId) problems.push(`${id}: hazard ids must run H01, H02, … in order; expected ${expectedId}`);

    for (const name of REQUIRED_FIELDS) {
      if (!hazard.fields.get(name)) problems.push(`${id}: has no ${name}`);
    }
    for (const stage of ['Initial', 'Residual'] as const) {
      const severity = hazard.fields.get(`${stage} severity`);
      const likelihood = hazard.fields.get(`${stage} likelihood`);
      const risk = hazard.fields.get(`${stage} risk`);
      if (severity && !SEVERITIES.includes(severity as Severity)) problems.push(`${id}: ${stage} severity "${severity}" is not one of ${SEVERITIES.join(', ')}`);
      if (likelihood && !LIKELIHOODS.includes(likelihood as Likelihood)) problems.push(`${id}: ${stage} likelihood "${likelihood}" is not one of ${LIKELIHOODS.join(', ')}`);
      if (severity && likelihood && risk && SEVERITIES.includes(severity as Severity) && LIKELIHOODS.includes(likelihood as Likelihood)) {
        const expected = MATRIX[likelihood as Likelihood][SEVERITIES.indexOf(severity as Severity)];
        if (risk !== String(expected)) problems.push(`${id}: ${stage} risk is ${risk}, but ${severity} severity with ${likelihood} likelihood is risk ${String(expected)}`);
      }
    }
    const status = hazard.fields.get('Status');
    if (status && !STATUSES.some((s) => status.startsWith(s))) problems.push(`${id}: Status "${status}" does not start with one of ${STATUSES.join(', ')}`);

    if (!hazard.controls || hazard.controls.length === 0) {
      problems.push(`${id}: has no control`);
      return;
    }
    for (const control of hazard.controls) {
      const where = `${id} control ${control.number}`;
      for (const line of control.malformed) problems.push(`${where}: "${line}" is not of the form \`test/….test.ts\` › title text`);
      if (control.tests.length === 0) problems.push(`${where}: names no test`);
      for (const { file, title } of control.tests) {
        const titles = titlesOf(file);
        if (titles === undefined) problems.push(`${where}: ${file} does not exist`);
        else if (!titles.some((t) => t.includes(title))) problems.push(`${where}: ${file} has no it() or describe() title containing "${title}"`);
      }
    }
  });

  const ids = log.hazards.map((h) => h.id);
  for (const duplicate of ids.filter((id, i) => ids.indexOf(id) !== i)) problems.push(`${duplicate}: is used for two hazards`);
  for (const row of log.register) {
    const hazard = log.hazards.find((h) => h.id === row.id);
    if (!hazard) {
      problems.push(`register: ${row.id} has no section`);
      continue;
    }
    if (row.initialRisk !== hazard.fields.get('Initial risk')) problems.push(`register: ${row.id} initial risk ${row.initialRisk} differs from its section's ${String(hazard.fields.get('Initial risk'))}`);
    if (row.residualRisk !== hazard.fields.get('Residual risk')) problems.push(`register: ${row.id} residual risk ${row.residualRisk} differs from its section's ${String(hazard.fields.get('Residual risk'))}`);
    if (!(hazard.fields.get('Status') ?? '').startsWith(row.status)) problems.push(`register: ${row.id} status ${row.status} differs from its section's`);
  }
  if (log.register.length > 0) {
    for (const id of ids) {
      if (!log.register.some((row) => row.id === id)) problems.push(`register: ${id} is missing`);
    }
  }
  return problems;
}

/** Reads a repository file, or undefined when there is none. */
const readRepositoryFile = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

describe('the clinical safety hazard log', () => {
  let markdown = '';
  let log: HazardLog = { hazards: [], register: [] };
  before(() => {
    markdown = readFileSync(LOG_FILE, 'utf8');
    log = parseHazardLog(markdown);
  });

  it('has hazards, each found with its fields and controls, and a register listing them', () => {
    expect(log.hazards.length).to.be.at.least(16);
    expect(log.register.map((row) => row.id)).to.deep.equal(log.hazards.map((h) => h.id));
    for (const hazard of log.hazards) expect(hazard.fields.size, hazard.id).to.be.at.least(REQUIRED_FIELDS.length);
  });

  it('names a test for every control, and every named test file holds the quoted title', () => {
    expect(problemsIn(log, readRepositoryFile)).to.deep.equal([]);
  });

  it('states its own number of hazards', () => {
    expect(markdown).to.contain(`| Hazards | ${String(log.hazards.length)} (H01 to H${String(log.hazards.length).padStart(2, '0')}) |`);
  });

  it('covers the hazards the clinical safety case relies on', () => {
    const titles = log.hazards.map((h) => `${h.id} ${h.title}`);
    for (const topic of [/red flag is missed/i, /child/i, /ticked item is lost/i, /stale rule set/i, /evaluation fails/i, /wrong patient's referral/i,
      /override is lost/i, /unapproved/i, /bundled cases or invariant fail/i, /logs or error answers/i, /lost in a crash/i, /twice/i,
      /explained or replayed/i, /BMI or smoking/i, /no bundled case exercises/i, /gap/i]) {
      expect(titles.some((t) => topic.test(t)), `no hazard about ${String(topic)}`).to.equal(true);
    }
  });
});

describe('the clinical safety case report', () => {
  let report = '';
  before(() => {
    report = readFileSync(REPORT_FILE, 'utf8');
  });

  it('links to the hazard log, and only to files inside the repository that exist', () => {
    const links = [...report.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
    expect(links).to.include('hazard-log.md');
    const root = path.resolve('.');
    for (const link of links) {
      expect(link, 'a relative link').to.not.match(/^[a-z][a-z0-9+.-]*:|^\/|^#?$/i);
      const target = path.resolve(path.dirname(REPORT_FILE), link.split('#')[0] as string);
      expect(target.startsWith(root + path.sep), `${link} stays inside the repository`).to.equal(true);
      expect(existsSync(target), `${link} exists`).to.equal(true);
    }
  });

  it('gives the number of hazards the log holds', () => {
    const count = parseHazardLog(readFileSync(LOG_FILE, 'utf8')).hazards.length;
    expect(report).to.match(new RegExp(`\\b${String(count)} hazards\\b`));
  });
});

describe('the hazard-log check, on small samples', () => {
  const source = [
    "describe('the widget', () => {",
    "  it('routes a red flag to same-day care', () => {});",
    '  for (const what of whats) {',
    "    it(`refuses ${what}, naming the ${'file'} and the problem`, () => {});",
    '  }',
    "  const parts = text.split('not a title');",
    '});',
  ].join('\n');
  const files = new Map([['test/unit/widget.test.ts', source]]);
  const read = (file: string) => files.get(file);

  const hazard = (id: string, controls: string, overrides: Record<string, string> = {}) => {
    const fields: Record<string, string> = {
      Hazard: 'h', Causes: 'c', Effect: 'e', 'Possible harm': 'p',
      'Initial severity': 'Major', 'Initial likelihood': 'Medium', 'Initial risk': '3',
      'Residual severity': 'Major', 'Residual likelihood': 'Very low', 'Residual risk': '2', Status: 'Closed',
      ...overrides,
    };
    const table = Object.entries(fields).filter(([, v]) => v !== '').map(([k, v]) => `| ${k} | ${v} |`).join('\n');
    return `### ${id}. A sample hazard\n\n| | |\n|---|---|\n${table}\n\n${controls}\n`;
  };
  const sample = (...sections: string[]) => `# Log\n\n## Hazards\n\n${sections.join('\n')}`;
  const good = '**Controls**\n\n1. A control.\n   - `test/unit/widget.test.ts` › routes a red flag to same-day care\n';

  it('reads it() and describe() titles, and only the literal parts of template titles', () => {
    expect(titlesIn(source)).to.deep.equal(['the widget', 'routes a red flag to same-day care', 'refuses ', ', naming the ', ' and the problem']);
  });

  it('passes a well-formed hazard', () => {
    expect(problemsIn(parseHazardLog(sample(hazard('H01', good))), read)).to.deep.equal([]);
  });

  it('fails when a named test file does not exist, or lacks the quoted title', () => {
    const controls = [
      '**Controls**',
      '',
      '1. A control whose test file is missing.',
      '   - `test/unit/missing.test.ts` › routes a red flag to same-day care',
      '2. A control whose title is not in the file.',
      '   - `test/unit/widget.test.ts` › routes a red flag to routine care',
      '3. A control quoting text that is in the file, but not in a title.',
      '   - `test/unit/widget.test.ts` › not a title',
      '4. A control quoting across a template expression.',
      '   - `test/unit/widget.test.ts` › naming the file and the problem',
    ].join('\n');
    expect(problemsIn(parseHazardLog(sample(hazard('H01', controls))), read)).to.deep.equal([
      'H01 control 1: test/unit/missing.test.ts does not exist',
      'H01 control 2: test/unit/widget.test.ts has no it() or describe() title containing "routes a red flag to routine care"',
      'H01 control 3: test/unit/widget.test.ts has no it() or describe() title containing "not a title"',
      'H01 control 4: test/unit/widget.test.ts has no it() or describe() title containing "naming the file and the problem"',
    ]);
  });

  it('fails when a hazard has no control, or a control names no test', () => {
    const noTest = '**Controls**\n\n1. Training, with no test.\n2. A control with a reference in the wrong form.\n   - widget.test.ts: routes a red flag\n';
    expect(problemsIn(parseHazardLog(sample(hazard('H01', ''), hazard('H02', '**Controls**\n'), hazard('H03', noTest))), read)).to.deep.equal([
      'H01: has no control',
      'H02: has no control',
      'H03 control 1: names no test',
      'H03 control 2: "widget.test.ts: routes a red flag" is not of the form `test/….test.ts` › title text',
      'H03 control 2: names no test',
    ]);
  });

  it('fails when a hazard lacks its severity or likelihood before or after controls, or its risk does not follow the matrix', () => {
    const log = parseHazardLog(sample(
      hazard('H01', good, { 'Initial severity': '' }),
      hazard('H02', good, { 'Residual likelihood': '' }),
      hazard('H03', good, { 'Initial likelihood': 'Rare' }),
      hazard('H04', good, { 'Residual risk': '1' }),
    ));
    expect(problemsIn(log, read)).to.deep.equal([
      'H01: has no Initial severity',
      'H02: has no Residual likelihood',
      'H03: Initial likelihood "Rare" is not one of Very low, Low, Medium, High, Very high',
      'H04: Residual risk is 1, but Major severity with Very low likelihood is risk 2',
    ]);
  });

  it('fails when ids are out of order, or the register disagrees with a section', () => {
    const register = '| id | hazard | initial risk | residual risk | status |\n|---|---|---|---|---|\n| H01 | x | 3 | 3 | Closed |\n';
    const log = parseHazardLog(`# Log\n\n## Register\n\n${register}\n## Hazards\n\n${hazard('H01', good)}\n${hazard('H03', good)}`);
    expect(problemsIn(log, read)).to.deep.equal([
      'H03: hazard ids must run H01, H02, … in order; expected H02',
      'register: H01 residual risk 3 differs from its section\'s 2',
      'register: H03 is missing',
    ]);
  });
});
