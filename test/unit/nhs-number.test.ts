import { expect } from 'chai';
import { isValidNhsNumber } from '../../src/domain/nhs-number.js';
import { nhsNumberFrom } from '../support/referral-factory.js';

describe('NHS number Modulus 11 check', () => {
  it('accepts the contract example and published test numbers', () => {
    for (const n of ['9434765919', '9434765870', '4010232137']) expect(isValidNhsNumber(n), n).to.equal(true);
  });

  it('rejects a number whose check digit is wrong', () => {
    expect(isValidNhsNumber('9434765918')).to.equal(false);
    expect(isValidNhsNumber('1234567890')).to.equal(false);
  });

  it('treats a remainder giving check digit 11 as 0', () => {
    // 943476587: 90+36+24+28+42+30+20+24+14 = 308 = 28 × 11, so 11 - 0 = 11, written 0
    expect(nhsNumberFrom('943476587')).to.equal('9434765870');
    expect(isValidNhsNumber('9434765870')).to.equal(true);
    expect(isValidNhsNumber('9434765871')).to.equal(false);
  });

  it('rejects numbers whose check digit would be 10', () => {
    // 000000006: sum = 6*2 = 12 → 12 % 11 = 1 → 11 - 1 = 10: no valid NHS number starts so
    expect(nhsNumberFrom('000000006')).to.equal(undefined);
    for (let d = 0; d <= 9; d++) expect(isValidNhsNumber(`000000006${d}`)).to.equal(false);
  });

  it('refuses a number of one digit ten times, although its check digit passes', () => {
    const repeated = Array.from({ length: 10 }, (_, d) => String(d).repeat(10));
    // every one of them passes Modulus 11: the check digit alone would let them through
    for (const n of repeated) expect(nhsNumberFrom(n.slice(0, 9)), n).to.equal(n);
    for (const n of repeated) expect(isValidNhsNumber(n), n).to.equal(false);
  });

  it('rejects anything but ten digits', () => {
    for (const n of ['943476591', '94347659190', '943 476 5919', '94347659l9', '', '９４３４７６５９１９']) {
      expect(isValidNhsNumber(n), n).to.equal(false);
    }
  });
});
