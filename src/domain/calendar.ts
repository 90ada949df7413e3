/**
 * Calendar dates as the service sees them: plain `YYYY-MM-DD` strings, read in Europe/London (the
 * NHS's clock), so that a birthday or a duration boundary never shifts with the server's time zone.
 */
const londonDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export type IsoDate = string;

/** Today's date in Europe/London, as `YYYY-MM-DD`. */
export function todayInLondon(now: Date = new Date()): IsoDate {
  return londonDate.format(now);
}

interface DateParts {
  year: number;
  month: number;
  day: number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** The number that `count` ASCII digits of `text` from `at` spell, or -1 if any is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * Parses a real calendar date (`2023-02-29` is not one); undefined otherwise. Read character by
 * character rather than with a regular expression and a Date, since bulk evaluation parses a date of
 * birth for every referral; years before 100 are refused, as Date.UTC would read them as 19xx.
 */
export function parseIsoDate(value: string): DateParts | undefined {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return undefined;
  const [year, month, day] = [digits(value, 0, 4), digits(value, 5, 2), digits(value, 8, 2)];
  if (year < 100 || month < 1 || month > 12 || day < 1) return undefined;
  const days = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  return day <= days ? { year, month, day } : undefined;
}

/** The evaluation date is the same for a whole batch of referrals: parsed once. */
const lastParsed: { text: string | undefined; parts: DateParts | undefined } = { text: undefined, parts: undefined };
function rememberParsed(at: IsoDate): DateParts | undefined {
  const parts = parseIsoDate(at);
  lastParsed.text = at;
  lastParsed.parts = parts;
  return parts;
}

/**
 * Whole years between a date of birth and a date. A person born on 29 February turns a year older
 * on 1 March in a common year, as in English law.
 */
export function wholeYearsBetween(dateOfBirth: IsoDate, at: IsoDate): number {
  const born = parseIsoDate(dateOfBirth);
  const on = at === lastParsed.text ? lastParsed.parts : rememberParsed(at);
  if (!born || !on) throw new RangeError('wholeYearsBetween needs two calendar dates');
  const hadBirthday = on.month > born.month || (on.month === born.month && on.day >= born.day);
  return on.year - born.year - (hadBirthday ? 0 : 1);
}

export const MAX_AGE_YEARS = 120;

/** A date of birth the contract accepts: a calendar date, not after `today`, age at most 120. */
export function isAcceptableDateOfBirth(value: string, today: IsoDate = todayInLondon()): boolean {
  if (!parseIsoDate(value) || value > today) return false;
  return wholeYearsBetween(value, today) <= MAX_AGE_YEARS;
}
