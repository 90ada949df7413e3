/**
 * Canary patients for the log-canary test: synthetic patients whose every identifying value is
 * distinctive (a valid NHS number no one else uses, a date of birth of their own, names and words
 * found nowhere else), and a scanner that finds any of those values in any text: the NHS number
 * plain, spaced (943 476 5919) or dashed, the date of birth as ISO or as 14/03/1958, and the names,
 * notes and reference by their marker words, in any case and inside JSON, URLs or escaped text.
 */
import type { Referral } from '../../src/generated/referral.js';
import { applyMergePatch } from '../../src/rules/merge-patch.js';
import { aReferral, nhsNumberFrom } from './referral-factory.js';

export type CanaryField = 'nhsNumber' | 'dateOfBirth' | 'clinicianName' | 'notes' | 'externalReference';

export interface CanaryPatient {
  index: number;
  /** 'X' and three capital letters, unique to this canary, written after each of its marker words */
  code: string;
  nhsNumber: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  /** the patient's family name, a marker word: found in no other text */
  familyName: string;
  clinicianName: string;
  externalReference: string;
  /** free text, several lines, naming the patient with their NHS number spaced and birth date as DD/MM/YYYY */
  notes: string;
}

/** Words that occur only in canary values, and the field each one belongs to. */
export const MARKERS: Readonly<Record<string, CanaryField>> = {
  zephyrine: 'clinicianName',
  larkwhistle: 'clinicianName',
  ottoline: 'notes',
  quillfeather: 'notes',
  wharfinger: 'notes',
  canarynote: 'notes',
  kestrelref: 'externalReference',
};

const MARKER_PATTERN = new RegExp(Object.keys(MARKERS).join('|'), 'gi');

export const spacedNhs = (nhs: string) => `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
export const dashedNhs = (nhs: string) => `${nhs.slice(0, 3)}-${nhs.slice(3, 6)}-${nhs.slice(6)}`;
/** 1958-03-14 as 14/03/1958 */
export const ukDate = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;

function codeOf(index: number): string {
  const letter = (n: number) => String.fromCharCode(65 + (n % 26));
  return `X${letter(Math.floor(index / 676))}${letter(Math.floor(index / 26))}${letter(index)}`;
}

/** `count` canary patients (up to 17,576), the same on every run. */
export function canaryPatients(count: number): CanaryPatient[] {
  const found: CanaryPatient[] = [];
  const firstBirth = Date.UTC(1931, 0, 1);
  // Digits without long runs of one digit: 4000000004 (the first of 400_000_000 on) turned up inside a float of /metrics once.
  for (let n = 493_817_263; found.length < count; n += 7919) {
    const nhsNumber = nhsNumberFrom(String(n));
    if (!nhsNumber) continue;
    const index = found.length;
    const code = codeOf(index);
    const dateOfBirth = new Date(firstBirth + index * 23 * 86_400_000).toISOString().slice(0, 10);
    const familyName = `Quillfeather${code}`;
    found.push({
      index,
      code,
      nhsNumber,
      dateOfBirth,
      familyName,
      clinicianName: `Dr Zephyrine ${code} Larkwhistle`,
      externalReference: `KESTRELREF-${code}-${String(index).padStart(4, '0')}`,
      notes:
        `Canarynote ${code}: Mrs Ottoline ${familyName} (NHS ${spacedNhs(nhsNumber)}, born ${ukDate(dateOfBirth)}) ` +
        `lives at ${index + 1} Wharfinger Lane.\nHer daughter rings on Tuesdays; previous NHS no. ${dashedNhs(nhsNumber)}.`,
    });
  }
  return found;
}

/** The canary's referral: valid, from practice J82001, carrying every identifying value; the patch changes it. */
export function canaryReferral(c: CanaryPatient, patch: Record<string, unknown> = {}): Referral {
  const referral = aReferral({
    externalReference: c.externalReference,
    patient: { nhsNumber: c.nhsNumber, dateOfBirth: c.dateOfBirth },
    referrer: { clinicianName: c.clinicianName },
    notes: c.notes,
  });
  return applyMergePatch(referral, patch) as unknown as Referral;
}

/** Text that names the patient in every way it can: for reasons, keys in wrong places and messages. */
export const canaryText = (c: CanaryPatient) =>
  `${c.clinicianName} spoke to Mrs Ottoline ${c.familyName}, NHS ${spacedNhs(c.nhsNumber)}, born ${ukDate(c.dateOfBirth)}, ref ${c.externalReference}`;

export interface Leak {
  field: CanaryField;
  /** how the value was written: plain, spaced, dashed, iso, dd/mm/yyyy, or the marker word found */
  form: string;
  /** the canary whose value it is, when it can be told */
  canary: number | undefined;
  /** where in the text */
  at: number;
}

/**
 * Finds canary values in text. Linear in the text, whatever the number of canaries: digit runs are
 * looked up in a set (any 10 consecutive digits, with or without single spaces or dashes between
 * them), dates are parsed and looked up, and names, notes and references are found by their marker
 * words, any one of which is a leak.
 */
export class CanaryScanner {
  private readonly nhsNumbers: ReadonlyMap<string, number>;
  private readonly birthDates: ReadonlyMap<string, number>;
  private readonly codes: ReadonlyMap<string, number>;

  constructor(canaries: readonly CanaryPatient[]) {
    this.nhsNumbers = new Map(canaries.map((c) => [c.nhsNumber, c.index]));
    this.birthDates = new Map(canaries.map((c) => [c.dateOfBirth, c.index]));
    this.codes = new Map(canaries.map((c) => [c.code, c.index]));
  }

  scan(text: string): Leak[] {
    const leaks: Leak[] = [];
    for (const run of text.matchAll(/\d(?:[ -]?\d)*/g)) {
      const digits = run[0].replace(/[ -]/g, '');
      for (let i = 0; i + 10 <= digits.length; i++) {
        const canary = this.nhsNumbers.get(digits.slice(i, i + 10));
        if (canary === undefined) continue;
        const form = run[0].includes(' ') ? 'spaced' : run[0].includes('-') ? 'dashed' : 'plain';
        leaks.push({ field: 'nhsNumber', form, canary, at: run.index });
      }
    }
    for (const date of text.matchAll(/(\d{4})-(\d{2})-(\d{2})/g)) {
      const canary = this.birthDates.get(date[0]);
      if (canary !== undefined) leaks.push({ field: 'dateOfBirth', form: 'iso', canary, at: date.index });
    }
    for (const date of text.matchAll(/(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})/g)) {
      const [, day = '', month = '', year = ''] = date;
      const canary = this.birthDates.get(`${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`);
      if (canary !== undefined) leaks.push({ field: 'dateOfBirth', form: 'dd/mm/yyyy', canary, at: date.index });
    }
    for (const marker of text.matchAll(MARKER_PATTERN)) {
      const code = /X[A-Z]{3}/i.exec(text.slice(marker.index + marker[0].length, marker.index + marker[0].length + 24))?.[0]?.toUpperCase();
      const field = MARKERS[marker[0].toLowerCase()] as CanaryField;
      leaks.push({ field, form: marker[0].toLowerCase(), canary: code === undefined ? undefined : this.codes.get(code), at: marker.index });
    }
    return leaks;
  }
}
