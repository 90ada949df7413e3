/** The short crash-safety run inside npm test: one SIGKILL under load (npm run test:crash does 20). */
import { expect } from 'chai';
import { runCrashTest } from '../crash/crash-harness.js';
import { tempDir } from '../support/temp-dirs.js';

describe('crash safety', function () {
  this.timeout(120_000);

  it('loses no acknowledged referral when killed with SIGKILL under load, and the audit chain verifies', async () => {
    const report = await runCrashTest({
      kills: 1,
      clients: 4,
      env: { DATA_DIR: tempDir('msk-crash-'), DATABASE_URL: '' },
      minAcknowledgedBeforeKill: 15,
      killAfterMs: [200, 1200],
    });
    expect(report.refused, 'answers other than 201, 202 or 5xx, by status').to.deep.equal({});
    expect(report.acknowledged, 'the load produced acknowledged referrals').to.be.greaterThan(10);
    expect(report.lost).to.deep.equal([]);
    expect(report.retriedAnswered).to.equal(report.cutOff);
    expect(report.auditOk, report.auditVerify).to.equal(true);
  });
});
