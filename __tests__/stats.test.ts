// The gate's statistics against reference values computed with SciPy 1.17 (the call is beside
// each value), so an error here cannot hide behind the simulation.
import { describe, expect, it } from '@jest/globals';
import {
  binomialUpperTail,
  exactStratified,
  testsThatCanReject,
  weightedHolm,
  normalCdf,
  studentTCdf,
  wilsonInterval,
} from '../src/lib/statistics.js';

describe('exact stratified test', () => {
  it("with one stratum is Fisher's exact test (one-sided)", () => {
    // stats.fisher_exact([[3,1],[1,3]], alternative='greater').pvalue — the lady tasting tea
    expect(exactStratified([{ currentCount: 3, currentTotal: 4, baseCount: 1, baseTotal: 4 }]).greater.p).toBeCloseTo(
      0.24285714285714283,
      12,
    );
    // stats.fisher_exact([[2,8],[9,1]], alternative='less').pvalue
    expect(exactStratified([{ currentCount: 2, currentTotal: 10, baseCount: 9, baseTotal: 10 }]).less.p).toBeCloseTo(
      0.002738747320790664,
      12,
    );
  });

  it('combines scenarios by convolving their hypergeometric laws', () => {
    // np.convolve of stats.hypergeom(M, K, n).pmf over the four strata, summed below / above the observed total
    const strata = [
      { baseCount: 14, baseTotal: 15, currentCount: 9, currentTotal: 15 },
      { baseCount: 3, baseTotal: 3, currentCount: 0, currentTotal: 3 },
      { baseCount: 10, baseTotal: 12, currentCount: 11, currentTotal: 12 },
      { baseCount: 0, baseTotal: 3, currentCount: 0, currentTotal: 3 },
    ];
    expect(exactStratified(strata).less.p).toBeCloseTo(0.027004935032483766, 12);
    expect(exactStratified(strata).greater.p).toBeCloseTo(0.9954258287522907, 12);
  });

  it('gives 1 when nothing can be told apart', () => {
    expect(exactStratified([{ baseCount: 3, baseTotal: 3, currentCount: 3, currentTotal: 3 }]).less.p).toBe(1);
    expect(exactStratified([]).less.p).toBe(1);
  });
});

describe('tests that could never reject leave the family (Tarone)', () => {
  it('the smallest p an exact test could give: every count as far as it goes', () => {
    // One stratum: Fisher's table with all 4 successes on the current side of 4 + 4 draws.
    // stats.hypergeom(8, 4, 4).pmf(4) = 1/70
    const one = exactStratified([{ currentCount: 3, currentTotal: 4, baseCount: 1, baseTotal: 4 }]).greater;
    expect(one.smallestP).toBeCloseTo(1 / 70, 12);
    expect(one.p).toBeCloseTo(0.24285714285714283, 12);
    // Ten scenarios turned one way or the other (1 of 1 against 0 of 1 each): 0.5^10 at most.
    const turned = Array.from({ length: 10 }, (_, index) => ({
      baseCount: index < 7 ? 1 : 0,
      baseTotal: 1,
      currentCount: index < 7 ? 0 : 1,
      currentTotal: 1,
    }));
    expect(exactStratified(turned).less.smallestP).toBeCloseTo(0.5 ** 10, 15);
    // Nothing to move: 1.
    expect(exactStratified([{ baseCount: 0, baseTotal: 9, currentCount: 0, currentTotal: 3 }]).greater.smallestP).toBe(
      1,
    );
  });

  it('keeps the most tests whose smallest p reaches their level among those kept (worked example)', () => {
    // alpha 0.01, equal weights, smallest p 0.004, 0.5, 0 and 0.003. Four tests would each get 0.0025,
    // which 0.004 and 0.003 miss; three would get 0.0033, which 0.004 misses; two get 0.005, which
    // the two smallest (0 and 0.003) reach. Those two are kept.
    expect(testsThatCanReject([0.004, 0.5, 0, 0.003], [1, 1, 1, 1], 0.01)).toEqual([false, false, true, true]);
    // With 0.004 as the only discrete test beside a continuous one: two tests, 0.005 each, both kept.
    expect(testsThatCanReject([0.004, 0.5, 0], [1, 1, 1], 0.01)).toEqual([true, false, true]);
    // Weights: with equal weights 0.004 reaches 0.01 / 2; weighing half of the other, it would face
    // 0.01 · 0.5 / 1.5 = 0.0033 and cannot.
    expect(testsThatCanReject([0.004, 0], [1, 1], 0.01)).toEqual([true, true]);
    expect(testsThatCanReject([0.004, 0], [0.5, 1], 0.01)).toEqual([false, true]);
    expect(testsThatCanReject([], [], 0.01)).toEqual([]);
  });
});

describe('other helpers', () => {
  it('Wilson interval', () => {
    // stats.binomtest(12, 15).proportion_ci(method='wilson')
    const [low, high] = wilsonInterval(12, 15);
    expect(low).toBeCloseTo(0.5481455128483065, 9);
    expect(high).toBeCloseTo(0.9295245065301844, 9);
    // stats.binomtest(0, 27).proportion_ci(method='wilson')
    expect(wilsonInterval(0, 27)[1]).toBeCloseTo(0.12455502974186708, 9);
  });

  it('binomial upper tail', () => {
    // stats.binom.sf(6, 60, 0.05) == P(X >= 7)
    expect(binomialUpperTail(7, 60, 0.05)).toBeCloseTo(0.02969410195488331, 12);
    expect(binomialUpperTail(0, 60, 0.05)).toBe(1);
  });

  it('normal distribution, tails included', () => {
    // stats.norm.cdf(2.5), stats.norm.sf(3.5)
    expect(normalCdf(2.5)).toBeCloseTo(0.9937903346742238, 6);
    expect(1 - normalCdf(3.5)).toBeCloseTo(0.00023262907903552504, 6);
  });

  it("Student's t distribution", () => {
    // stats.t.cdf(2.0, 3), stats.t.sf(3.5, 4), stats.t.cdf(-1.2, 9), stats.t.sf(6.0, 2)
    expect(studentTCdf(2.0, 3)).toBeCloseTo(0.9303370157205785, 10);
    expect(1 - studentTCdf(3.5, 4)).toBeCloseTo(0.012448081730111374, 10);
    expect(studentTCdf(-1.2, 9)).toBeCloseTo(0.13038659869523075, 10);
    expect(1 - studentTCdf(6.0, 2)).toBeCloseTo(0.013335736607712385, 10);
  });

  it('Holm step-down: weighted Holm with equal weights', () => {
    // m = 4, alpha = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 in order of p
    expect(weightedHolm([0.01, 0.04, 0.015, 0.2], [1, 1, 1, 1], 0.05)).toEqual([
      { threshold: 0.0125, rejected: true },
      { threshold: 0.025, rejected: false },
      { threshold: 0.05 / 3, rejected: true },
      { threshold: 0.05, rejected: false },
    ]);
    // Once one is kept, none after it is rejected, even under its own threshold.
    expect(weightedHolm([0.04, 0.001, 0.035], [1, 1, 1], 0.06).map((entry) => entry.rejected)).toEqual([
      false,
      true,
      false,
    ]);
  });
});

describe('weighted Holm', () => {
  it('gives each hypothesis alpha · weight / the weight left', () => {
    const p = [0.001, 0.04, 0.02, 0.5];
    // Weights 1, 0.5, 1, 0.5 (total 3): 0.001/1 first at 0.05 · 1/3; then 0.02 at 0.05 · 1/2; then
    // 0.04/0.5 = 0.08 at 0.05 · 0.5/1 = 0.025: not rejected, and nothing after it.
    const weighted = weightedHolm(p, [1, 0.5, 1, 0.5], 0.05);
    expect(weighted.map((entry) => entry.rejected)).toEqual([true, false, true, false]);
    expect(weighted[0]!.threshold).toBeCloseTo(0.05 / 3, 12);
    expect(weighted[2]!.threshold).toBeCloseTo(0.05 / 2, 12);
    expect(weighted[1]!.threshold).toBeCloseTo(0.025, 12);
    // Weight 0: no share, never rejected.
    expect(weightedHolm([0, 0.001], [0, 1], 0.05)).toEqual([
      { threshold: 0, rejected: false },
      { threshold: 0.05, rejected: true },
    ]);
  });
});
