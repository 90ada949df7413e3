/**
 * The facts table of the rule-authoring guide (rules/README.md) is generated from the fact catalogue:
 * this test fails when the guide and the catalogue differ, so that the guide can never drift from the
 * referral schema.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { FACTS, NOT_FACTS } from '../../src/rules/fact-catalogue.js';
import {
  END_MARKER,
  README_PATH,
  START_MARKER,
  WRITE_COMMAND,
  factsTableMarkdown,
  tableBetweenMarkers,
  withTable,
} from '../../src/tools/facts-table.js';

const readme = readFileSync(README_PATH, 'utf8');
const stale = `rules/README.md: the facts table differs from the fact catalogue. Run: ${WRITE_COMMAND}`;

describe('the facts table of rules/README.md', () => {
  it('has the markers the generator writes between', () => {
    expect(readme, `rules/README.md needs ${START_MARKER} and ${END_MARKER}`).to.contain(START_MARKER).and.to.contain(END_MARKER);
    expect(readme.split(START_MARKER), `${START_MARKER} appears more than once`).to.have.length(2);
    expect(readme.split(END_MARKER), `${END_MARKER} appears more than once`).to.have.length(2);
  });

  it('is exactly the table generated from the fact catalogue', () => {
    expect(tableBetweenMarkers(readme), stale).to.equal(factsTableMarkdown());
  });
});

describe('factsTableMarkdown', () => {
  const table = factsTableMarkdown();
  const rows = table.split('\n').slice(2);

  it('has one row per fact, in the catalogue order, and no row for a field rules may not use', () => {
    expect(rows.map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1])).to.deep.equal(FACTS.map((fact) => fact.name));
    for (const name of NOT_FACTS.keys()) expect(table).not.to.contain(`| \`${name}\` |`);
  });

  it('gives every row the same number of cells as the header', () => {
    const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length;
    const header = table.split('\n')[0] ?? '';
    for (const row of rows) expect(cells(row), row).to.equal(cells(header));
  });

  it('says what a fact is when the referral does not carry it', () => {
    const row = (name: string) => rows.find((r) => r.startsWith(`| \`${name}\` |`)) ?? '';
    expect(row('redFlags.saddleAnaesthesia')).to.contain('always present (required)');
    expect(row('findings.lockedKnee')).to.contain('`false` if not sent');
    expect(row('startBack.legPain')).to.contain('absent without `startBack`');
    expect(row('startBackTotal')).to.contain('absent without `startBack`');
    expect(row('startBackRisk')).to.contain('`not-assessed` without `startBack`');
    expect(row('axialSpaFeatureCount')).to.contain('`0` without `inflammatory.axialSpaFeatures`');
    expect(row('age')).to.contain('| always present |');
  });
});

describe('the facts-table check', () => {
  const table = factsTableMarkdown();
  const guide = withTable(`# Guide\n\n${START_MARKER}\n${END_MARKER}\n\nMore text.\n`, table);

  it('passes on a freshly written guide', () => {
    expect(tableBetweenMarkers(guide)).to.equal(table);
  });

  it('fails when one cell of the table is edited by hand', () => {
    const edited = guide.replace(/^\| `complaint\.painScore` \|.*$/m, (row) => row.replace('0 to 10', '0 to 11'));
    expect(edited).not.to.equal(guide);
    expect(tableBetweenMarkers(edited)).not.to.equal(table);
  });

  it('fails when a row is missing or a marker is gone', () => {
    const withoutRow = guide.replace(/^\| `age` \|.*\n/m, '');
    expect(withoutRow).not.to.equal(guide);
    expect(tableBetweenMarkers(withoutRow)).not.to.equal(table);
    expect(tableBetweenMarkers(guide.replace(START_MARKER, ''))).to.equal(undefined);
    expect(tableBetweenMarkers(guide.replace(END_MARKER, ''))).to.equal(undefined);
  });

  it('passes again once --write has replaced the table, leaving the rest of the guide alone', () => {
    const stale = withTable(guide, '| stale |');
    expect(tableBetweenMarkers(stale)).to.equal('| stale |');
    expect(withTable(stale, table)).to.equal(guide);
    expect(() => withTable('no markers here', table)).to.throw(/facts-table:start/);
  });
});
