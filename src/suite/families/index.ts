// The scenario generators a suite's `families` may name, and how a suite's generated scenarios are
// drawn from them: interleaved, so that every size holds every family in the same proportion.
import type { Family, ScenarioDefinition } from '../schema.js';
import type { ScenarioGenerator } from './generator.js';
import { architectureSlides } from './architecture-slides.js';
import { patientRecords } from './patient-records.js';
import { shapeLayouts } from './shape-layouts.js';
import { voiceRequests } from './voice-requests.js';
import { SeededRandom } from './random.js';

/** Redraws of a scenario that repeats an earlier one, before a repeat is kept (a family with few distinct scenarios). */
const MAX_REDRAWS = 20;

export const GENERATORS: Readonly<Record<string, ScenarioGenerator>> = {
  [patientRecords.id]: patientRecords,
  [voiceRequests.id]: voiceRequests,
  [shapeLayouts.id]: shapeLayouts,
  [architectureSlides.id]: architectureSlides,
};

export const generatorIds = () => Object.keys(GENERATORS).sort();

/** The generator's version travels with the family, so a report says exactly what was drawn. */
export const familyIdentity = (family: Family) => ({
  generator: family.generator,
  version: GENERATORS[family.generator]?.version ?? null,
  seed: family.seed,
});

/**
 * The first `count` generated scenarios of a suite's families. Scenarios are drawn in order, each
 * from its own seed; one that repeats an earlier scenario of its family is redrawn, so the scenarios
 * are distinct and a larger size still begins with a smaller one.
 */
export function generateScenarios(
  families: readonly Family[],
  count: number,
  written: readonly ScenarioDefinition[] = [],
): ScenarioDefinition[] {
  const scenarios: ScenarioDefinition[] = [];
  // The hand-written scenarios count as drawn: a generated one never repeats them.
  const seen = families.map(
    (family) => new Set(written.map((scenario) => GENERATORS[family.generator]?.identity?.(scenario) ?? '')),
  );
  for (let j = 0; j < count && families.length > 0; j += 1) {
    const family = families[j % families.length] as Family;
    const generator = GENERATORS[family.generator];
    if (!generator) throw new Error(`Internal error: unknown generator ${family.generator}.`);
    const index = Math.floor(j / families.length);
    const drawn = seen[j % families.length] as Set<string>;
    let scenario = generator.scenario(SeededRandom.forScenario(generator.id, family.seed, index), index);
    for (
      let redraw = 1;
      generator.identity && drawn.has(generator.identity(scenario)) && redraw <= MAX_REDRAWS;
      redraw += 1
    )
      scenario = generator.scenario(SeededRandom.forScenario(generator.id, family.seed, index, redraw), index);
    if (generator.identity) drawn.add(generator.identity(scenario));
    scenarios.push(scenario);
  }
  return scenarios;
}
