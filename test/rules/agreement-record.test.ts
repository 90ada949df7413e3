/**
 * The checks of a version that passed (the channels' agreement on its generated sample, and its
 * verification: cases, coverage, proof) are remembered across restarts in DATA_DIR, under a
 * fingerprint of the code, and trusted only for exactly that content and code.
 */
import { expect } from 'chai';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AGREEMENT_RECORD_FILE, codeFingerprint, readAgreementRecord, scanRulesFolderRemembering, writeAgreementRecord } from '../../src/rules/agreement-record.js';
import { asVersion, ruleSetCopies, unchanged } from '../support/rule-set-copies.js';
import { tempDir } from '../support/temp-dirs.js';
import { AGREEMENT_SAMPLE, agreementSampleSize } from '../../src/rules/rule-set-loader.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe('the size of the channels’ agreement sample', () => {
  it('is the full 2,000 outside the test suite, whatever MSK_TEST_AGREEMENT_SAMPLE says', () => {
    const saved = { env: process.env.NODE_ENV, sample: process.env.MSK_TEST_AGREEMENT_SAMPLE };
    try {
      process.env.MSK_TEST_AGREEMENT_SAMPLE = '10';
      process.env.NODE_ENV = 'production';
      expect(agreementSampleSize()).to.equal(AGREEMENT_SAMPLE).and.equal(2000);
      process.env.NODE_ENV = 'test';
      expect(agreementSampleSize()).to.equal(10);
      process.env.MSK_TEST_AGREEMENT_SAMPLE = '1e9';
      expect(agreementSampleSize()).to.equal(AGREEMENT_SAMPLE);
    } finally {
      process.env.NODE_ENV = saved.env;
      process.env.MSK_TEST_AGREEMENT_SAMPLE = saved.sample;
    }
  });
});

describe('the record of the channels’ agreement', () => {
  it('reads back what was written, once each, readable by the service’s user alone', async () => {
    const dataDir = tempDir('msk-agreement-');
    await writeAgreementRecord(dataDir, [HASH_B, HASH_A, HASH_B]);
    expect(await readAgreementRecord(dataDir)).to.deep.equal([HASH_A, HASH_B]);
    expect(statSync(path.join(dataDir, AGREEMENT_RECORD_FILE)).mode & 0o777).to.equal(0o600);
  });

  it('counts for nothing when written by other code, when malformed, or when missing', async () => {
    const dataDir = tempDir('msk-agreement-');
    expect(await readAgreementRecord(dataDir)).to.deep.equal([]);
    const file = path.join(dataDir, AGREEMENT_RECORD_FILE);
    writeFileSync(file, JSON.stringify({ code: 'f'.repeat(64), agreed: [HASH_A] }));
    expect(await readAgreementRecord(dataDir)).to.deep.equal([]);
    writeFileSync(file, '{ not json');
    expect(await readAgreementRecord(dataDir)).to.deep.equal([]);
    writeFileSync(file, JSON.stringify({ code: codeFingerprint(), agreed: [HASH_A, 'not a hash', 42] }));
    expect(await readAgreementRecord(dataDir)).to.deep.equal([HASH_A]);
  });

  it('records the content hash of every version that loaded after a scan, and a scan with the record loads the same versions', async () => {
    const rulesDir = await ruleSetCopies(unchanged, (copy) => {
      asVersion('1.1.0', 'draft')(copy);
      // A case that expects another pathway fails: the version does not load.
      const first = copy.cases.cases[0];
      if (first) first.expect = { ...first.expect, pathway: first.expect.pathway === 'gp' ? 'physio' : 'gp' };
    });
    const dataDir = tempDir('msk-agreement-');
    const scan = await scanRulesFolderRemembering(rulesDir, dataDir);
    const folders = [...scan.values()];
    const loaded = folders.flatMap((folder) => (folder.loaded ? [folder.loaded.compiled.sha256] : []));
    expect(folders.find((folder) => folder.version === '1.1.0')?.loaded).to.equal(undefined);
    expect(loaded).to.have.length(1);
    const record = JSON.parse(readFileSync(path.join(dataDir, AGREEMENT_RECORD_FILE), 'utf8')) as { code: string; agreed: string[] };
    expect(record.code).to.equal(codeFingerprint());
    expect(record.agreed).to.include.members(loaded);
    // The same folder scanned again with the record: the same versions load, the broken one still does not.
    const again = [...(await scanRulesFolderRemembering(rulesDir, dataDir)).values()];
    expect(again.flatMap((folder) => (folder.loaded ? [folder.loaded.compiled.sha256] : []))).to.deep.equal(loaded);
    expect(again.find((folder) => folder.version === '1.1.0')?.problems.map((p) => p.caseId)).to.include(folders.find((folder) => folder.version === '1.1.0')?.problems[0]?.caseId);
  });

  it('answers a version’s verification from the record on a restart: its cases and proof are not run again, and a failing version is never recorded', async () => {
    const rulesDir = await ruleSetCopies((copy) => {
      copy.ruleset.changeLog.at(-1)!.summary += ' (a copy of its own, for this test)';
    }, (copy) => {
      asVersion('1.1.0', 'draft')(copy);
      const first = copy.cases.cases[0];
      if (first) first.expect = { ...first.expect, pathway: first.expect.pathway === 'gp' ? 'physio' : 'gp' };
    });
    const dataDir = tempDir('msk-agreement-');
    await scanRulesFolderRemembering(rulesDir, dataDir);
    const file = path.join(dataDir, AGREEMENT_RECORD_FILE);
    const record = JSON.parse(readFileSync(file, 'utf8')) as { code: string; agreed: string[]; verified: Array<[string, Array<{ description: string }>]> };
    const mine = record.verified.filter(([key]) => key.includes(path.relative(process.cwd(), rulesDir)));
    expect(mine.map(([key]) => key.includes('/1.0.0/')), 'the passing version alone').to.deep.equal([true]);
    // The same files in a folder this process has never checked, and the record's results for them
    // marked: a scan with the record answers from it, instead of running the cases.
    const restarted = `${rulesDir}-restarted`;
    cpSync(rulesDir, restarted, { recursive: true });
    const [key, results] = mine[0]!;
    const marked = results.map((result) => ({ ...result, description: 'from the record' }));
    writeFileSync(file, JSON.stringify({ ...record, verified: [[key.replaceAll(path.relative(process.cwd(), rulesDir), path.relative(process.cwd(), restarted)), marked]] }));
    const scan = [...(await scanRulesFolderRemembering(restarted, dataDir)).values()];
    const loaded = scan.find((folder) => folder.version === '1.0.0')?.loaded;
    expect(loaded?.caseResults.map((result) => result.description)).to.deep.equal(marked.map(() => 'from the record'));
    expect(scan.find((folder) => folder.version === '1.1.0')?.loaded, 'the failing version, checked again').to.equal(undefined);
  });
});
