/**
 * The channels' agreement on a version's generated sample is remembered across restarts in DATA_DIR,
 * by content hash under a fingerprint of the code, and trusted only for exactly that content and code.
 */
import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
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
});
