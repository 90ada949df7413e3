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

/** Parses a real calendar date (`2023-02-29` is not one); undefined otherwise. */
export function parseIsoDate(value: string): DateParts | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    return undefined;
  }
  return { year, month, day };
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
