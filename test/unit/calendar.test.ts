import { expect } from 'chai';
import { isAcceptableDateOfBirth, parseIsoDate, todayInLondon, wholeYearsBetween } from '../../src/domain/calendar.js';

describe('calendar dates', () => {
  it('reads today in Europe/London, not UTC', () => {
    // 23:30 UTC on 30 June is already 1 July in London (BST, UTC+1)
    expect(todayInLondon(new Date('2026-06-30T23:30:00Z'))).to.equal('2026-07-01');
    // in winter London is on UTC
    expect(todayInLondon(new Date('2026-12-31T23:30:00Z'))).to.equal('2026-12-31');
  });

  it('accepts only real calendar dates', () => {
    expect(parseIsoDate('2024-02-29')).to.deep.equal({ year: 2024, month: 2, day: 29 });
    for (const bad of ['2023-02-29', '2026-13-01', '2026-04-31', '26-01-01', '2026-1-01', '2026-01-01T00:00']) {
      expect(parseIsoDate(bad), bad).to.equal(undefined);
    }
  });

  it('counts whole years, turning a year older on the birthday itself', () => {
    expect(wholeYearsBetween('1976-11-01', '2026-10-31')).to.equal(49);
    expect(wholeYearsBetween('1976-11-01', '2026-11-01')).to.equal(50);
    expect(wholeYearsBetween('1976-11-01', '2026-11-02')).to.equal(50);
  });

  it('makes a 29 February birthday count on 1 March in a common year', () => {
    expect(wholeYearsBetween('2000-02-29', '2026-02-28')).to.equal(25);
    expect(wholeYearsBetween('2000-02-29', '2026-03-01')).to.equal(26);
    expect(wholeYearsBetween('2000-02-29', '2028-02-29')).to.equal(28);
  });

  it('accepts a date of birth up to today and at most 120 years ago', () => {
    expect(isAcceptableDateOfBirth('2026-11-22', '2026-11-22')).to.equal(true);
    expect(isAcceptableDateOfBirth('2026-11-23', '2026-11-22')).to.equal(false);
    expect(isAcceptableDateOfBirth('1905-11-23', '2026-11-22')).to.equal(true); // 120
    expect(isAcceptableDateOfBirth('1905-11-22', '2026-11-22')).to.equal(false); // 121 today
    expect(isAcceptableDateOfBirth('1990-02-30', '2026-11-22')).to.equal(false);
  });
});
