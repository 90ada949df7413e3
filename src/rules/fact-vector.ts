/**
 * The facts of bulk evaluation, made straight from a referral into a vector with one slot per
 * catalogue fact (FACTS order): no map object between the referral and the rules. Slot for slot the
 * values are those of factMap (derived-facts.ts), the contract's defaults included; a reader fills
 * only the slots of the facts it was made for, so that a rule set pays for the facts it reads.
 */
import type { Referral } from '../generated/referral.js';
import type { IsoDate } from '../domain/calendar.js';
import { ageOf, DERIVATIONS, type DerivedFacts } from './derived-facts.js';
import { FACTS } from './fact-catalogue.js';

/** A referral's facts by slot; a slot its reader was not made for is undefined. */
export type FactVector = unknown[];

/** Each catalogue fact's slot in a FactVector; a name not here is not a fact. */
export const FACT_SLOTS: ReadonlyMap<string, number> = new Map(FACTS.map((fact, slot) => [fact.name, slot]));

const own = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;

/** The referral facts under one object of the referral (`redFlags`), read after one look-up of it; the item lists run in parallel. */
interface Section {
  path: readonly string[];
  keys: string[];
  slots: number[];
  whenAbsent: unknown[];
  /** no item is named like a property of Object.prototype (`constructor`, `toString`…) */
  plainKeys: boolean;
}

/**
 * On an object whose prototype is Object.prototype or null (every object JSON.parse makes, every
 * literal), a key that Object.prototype does not have is read as an own property by a plain look-up:
 * one check of the object instead of one Object.hasOwn a fact.
 */
const plain = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

export class FactVectorReader {
  private readonly sections: readonly Section[];
  private readonly derived: ReadonlyArray<{ derive: (referral: Referral, age: number) => unknown; slot: number }>;
  private readonly needsAge: boolean;

  /** Names that are not catalogue facts are left out: a rule that reads one is refused by its evaluator. */
  constructor(names: Iterable<string>) {
    const sections = new Map<string, Section>();
    const derived: Array<{ derive: (referral: Referral, age: number) => unknown; slot: number }> = [];
    let needsAge = false;
    for (const name of new Set(names)) {
      const slot = FACT_SLOTS.get(name);
      if (slot === undefined) continue;
      const fact = FACTS[slot] as (typeof FACTS)[number];
      if (fact.source === 'derived') {
        const derivation = DERIVATIONS[name as keyof DerivedFacts];
        derived.push({ derive: derivation.derive, slot });
        needsAge ||= derivation.needsAge;
        continue;
      }
      const path = name.split('.');
      const key = path.pop() as string;
      const at = path.join('.');
      const section = sections.get(at) ?? { path, keys: [], slots: [], whenAbsent: [], plainKeys: true };
      sections.set(at, section);
      section.keys.push(key);
      section.slots.push(slot);
      section.whenAbsent.push(fact.whenAbsent);
      if (key in Object.prototype) section.plainKeys = false;
    }
    this.sections = [...sections.values()];
    this.derived = derived;
    this.needsAge = needsAge;
  }

  read(referral: Referral, evaluationDate: IsoDate): FactVector {
    const vector: FactVector = new Array<unknown>(FACTS.length).fill(undefined);
    for (let s = 0; s < this.sections.length; s++) {
      const { path, keys, slots, whenAbsent, plainKeys } = this.sections[s] as Section;
      let source: unknown = referral;
      for (let p = 0; p < path.length; p++) source = own(source, path[p] as string);
      if (source !== null && typeof source === 'object' && plainKeys && plain(source)) {
        const read = source as Record<string, unknown>;
        for (let i = 0; i < keys.length; i++) {
          const value = read[keys[i] as string];
          vector[slots[i] as number] = value === undefined ? whenAbsent[i] : value;
        }
      } else {
        for (let i = 0; i < keys.length; i++) {
          const value = own(source, keys[i] as string);
          vector[slots[i] as number] = value === undefined ? whenAbsent[i] : value;
        }
      }
    }
    // Only the derived facts asked for, the age once (an absent STarT Back score is undefined, as in factMap).
    const age = this.needsAge ? ageOf(referral, evaluationDate) : 0;
    for (let i = 0; i < this.derived.length; i++) {
      const { derive, slot } = this.derived[i] as (typeof this.derived)[number];
      vector[slot] = derive(referral, age);
    }
    return vector;
  }
}
