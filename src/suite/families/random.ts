// The seeded random source of the scenario families. Each scenario draws from its own generator,
// seeded from the family's seed and the scenario's index, so scenario 17 is the same scenario at
// every suite size and a larger size only adds scenarios.
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { createHash } from 'node:crypto';

export class SeededRandom {
  private readonly generator: RandomGenerator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
  }

  /** The generator of one scenario: a hash of the family, its seed and the index, so neighbours do not correlate. */
  static forScenario(family: string, seed: number, index: number, redraw = 0): SeededRandom {
    const key = redraw === 0 ? `${family}:${seed}:${index}` : `${family}:${seed}:${index}:${redraw}`;
    return new SeededRandom(createHash('sha256').update(key).digest().readInt32BE(0));
  }

  /** A whole number from `from` to `to`, both included. */
  int(from: number, to: number): number {
    return uniformInt(this.generator, from, to);
  }

  chance(probability: number): boolean {
    return this.int(0, 999_999) < probability * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Internal error: picked from an empty list.');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A copy in a random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }
}
