// The scenario generators a suite's `families` may name, and how a suite's generated scenarios are
// drawn from them: interleaved, so that every size holds every family in the same proportion.
import type { Family, ScenarioDefinition, Scorer } from '../schema.js';
import { patientRecords } from './patient-records.js';
import { SeededRandom } from './random.js';

export interface ScenarioGenerator {
  id: string;
  /** Raised whenever a change alters the scenarios drawn from a seed; it is part of the suite's fingerprint. */
  version: number;
  /** The scorer its scenarios are written for. */
  scorer: Scorer['kind'];
  /** The length of its cycle of scenario kinds: a size that is a multiple of it holds each kind equally. */
  kinds: number;
  scenario(random: SeededRandom, index: number): ScenarioDefinition;
}

export const GENERATORS: Readonly<Record<string, ScenarioGenerator>> = {
  [patientRecords.id]: patientRecords as ScenarioGenerator,
};

export const generatorIds = () => Object.keys(GENERATORS).sort();

/** The generator's version travels with the family, so a report says exactly what was drawn. */
export const familyIdentity = (family: Family) => ({
  generator: family.generator,
  version: GENERATORS[family.generator]?.version ?? null,
  seed: family.seed,
});

/** The first `count` generated scenarios of a suite's families. */
export function generateScenarios(families: readonly Family[], count: number): ScenarioDefinition[] {
  const scenarios: ScenarioDefinition[] = [];
  for (let j = 0; j < count && families.length > 0; j += 1) {
    const family = families[j % families.length] as Family;
    const generator = GENERATORS[family.generator];
    if (!generator) throw new Error(`Internal error: unknown generator ${family.generator}.`);
    const index = Math.floor(j / families.length);
    scenarios.push(generator.scenario(SeededRandom.forScenario(generator.id, family.seed, index), index));
  }
  return scenarios;
}
