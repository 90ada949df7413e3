/** The README's tables are documentation other systems rely on: they must match the code. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ERRORS } from '../../src/domain/error-catalogue.js';
import { ERROR_STATUS } from '../../src/http/error-status.js';

const readme = readFileSync('README.md', 'utf8');

/** Rows of the Markdown table that follows `heading` (first column, second column). */
function tableAfter(heading: string): Array<[string, string]> {
  const start = readme.indexOf(heading);
  expect(start, `README has no "${heading}"`).to.be.greaterThan(-1);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: Array<[string, string]> = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').map((cell) => cell.trim().replaceAll('`', ''));
    rows.push([cells[1] ?? '', cells[2] ?? '']);
  }
  return rows;
}

describe('README', () => {
  it('documents exactly the error catalogue, each code with its status', () => {
    const documented = Object.fromEntries(tableAfter('The catalogue').map(([code, status]) => [code, Number(status)]));
    const catalogue = Object.fromEntries(Object.keys(ERRORS).map((code) => [code, ERROR_STATUS[code as keyof typeof ERRORS]]));
    expect(documented).to.deep.equal(catalogue);
  });

  it('documents exactly the environment variables config.ts reads', () => {
    const source = readFileSync('src/config.ts', 'utf8');
    const read = new Set([...source.matchAll(/env(?:\.|, ')([A-Z][A-Z_]+)/g)].map((m) => m[1]));
    const documented = new Set(tableAfter('## Configuration').map(([variable]) => variable));
    expect([...documented].sort()).to.deep.equal([...read].sort());
  });

  it('gives the two quick-start commands', () => {
    expect(readme).to.contain('npm ci && npm start').and.contain('npm ci && npm test');
  });
});
