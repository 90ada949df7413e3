/**
 * NHS number check digit (Modulus 11): weights 10..2 over the first nine digits; the check digit is
 * 11 minus the remainder, 11 becomes 0, and 10 means the number is invalid.
 * https://www.datadictionary.nhs.uk/attributes/nhs_number.html
 *
 * A number of one digit ten times (0000000000, 4444444444, …) passes Modulus 11 (the sum is the
 * digit × 54, which leaves the digit itself as the check digit), yet is never issued: it is what a system sends
 * for "unknown" or a test's placeholder, so it is refused as no patient's number.
 */
export function isValidNhsNumber(value: string): boolean {
  return /^\d{10}$/.test(value) && !isOneRepeatedDigit(value) && nhsNumberFrom(value.slice(0, 9)) === value;
}

const isOneRepeatedDigit = (value: string) => /^(\d)\1*$/.test(value);

/** The NHS number made of these nine digits and their check digit, or undefined when none exists. */
export function nhsNumberFrom(value: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(value[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return undefined;
  return value + String(check === 11 ? 0 : check);
}
