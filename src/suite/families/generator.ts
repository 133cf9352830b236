// What a scenario generator is: the shape every family in this folder has.
import type { ScenarioDefinition, Scorer } from '../schema.js';
import type { SeededRandom } from './random.js';

export interface ScenarioGenerator {
  id: string;
  /** Raised whenever a change alters the scenarios drawn from a seed; it is part of the suite's fingerprint. */
  version: number;
  /** The scorer its scenarios are written for. */
  scorer: Scorer['kind'];
  scenario(random: SeededRandom, index: number): ScenarioDefinition;
  /** What makes two of its scenarios the same, where a redraw is likely (short texts); images never repeat. */
  identity?: (scenario: ScenarioDefinition) => string;
}
