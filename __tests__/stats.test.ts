// The gate's statistics against reference values computed with SciPy 1.17 (the call is beside
// each value), so an error here cannot hide behind the simulation.
import { describe, expect, it } from '@jest/globals';
import {
  binomialUpperTail,
  exactStratified,
  holm,
  discreteHolm,
  type FamilyTest,
  weightedHolm,
  normalCdf,
  studentTCdf,
  wilsonInterval,
} from '../src/lib/statistics.js';
import { SeededRandom } from '../src/suite/families/random.js';

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

describe('the discrete Holm procedure', () => {
  it('the p-values an exact test can give: every tail, the smallest with every count as far as it goes', () => {
    // One stratum: Fisher's table with all 4 successes on the current side of 4 + 4 draws.
    // stats.hypergeom(8, 4, 4).pmf(4) = 1/70; .sf(2) = 17/70
    const one = exactStratified([{ currentCount: 3, currentTotal: 4, baseCount: 1, baseTotal: 4 }]).greater;
    expect(one.attainable[0]).toBeCloseTo(1 / 70, 12);
    expect(one.attainable[1]).toBeCloseTo(17 / 70, 12);
    expect(one.attainable).toContain(one.p);
    expect(one.p).toBeCloseTo(0.24285714285714283, 12);
    // Ten scenarios turned one way or the other (1 of 1 against 0 of 1 each): the sign test's tails,
    // 0.5^10 at most, then 11 / 1024.
    const turned = Array.from({ length: 10 }, (_, index) => ({
      baseCount: index < 7 ? 1 : 0,
      baseTotal: 1,
      currentCount: index < 7 ? 0 : 1,
      currentTotal: 1,
    }));
    const less = exactStratified(turned).less;
    expect(less.attainable[0]).toBeCloseTo(0.5 ** 10, 15);
    expect(less.attainable[1]).toBeCloseTo(11 / 1024, 15);
    expect(less.attainable).toHaveLength(11);
    // Nothing to move: 1.
    expect(
      exactStratified([{ baseCount: 0, baseTotal: 9, currentCount: 0, currentTotal: 3 }]).greater.attainable,
    ).toEqual([1]);
  });

  it('with continuous tests only, it rejects what Holm rejects (weighted or not)', () => {
    const pValues = [0.001, 0.02, 0.003, 0.0045];
    for (const weights of [
      [1, 1, 1, 1],
      [1, 0.5, 1, 0.5],
      [0.5, 1, 1, 0.5],
    ]) {
      const decisions = discreteHolm(
        pValues.map((p, index) => ({ p, weight: weights[index]!, attainable: null })),
        0.01,
      );
      expect(decisions.map((decision) => decision.rejected)).toEqual(
        weightedHolm(pValues, weights, 0.01).map((decision) => decision.rejected),
      );
      // A lone change faces alpha · its weight / the family's weight.
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      decisions.forEach((decision, index) =>
        expect(decision.firstLevel).toBeCloseTo((0.01 * weights[index]!) / total, 15),
      );
    }
    expect(holm(pValues, 0.01).map((decision) => decision.rejected)).toEqual([true, false, true, true]);
  });

  it('a discrete test takes only the chance it has of reaching its level (worked example)', () => {
    // Beside a continuous test, a sign test on 10 turned scenarios: its p-values are 1/1024, 11/1024…
    // At a level t between them it can reach only 1/1024, so the two share t + 1/1024 = 0.01:
    // t = 0.01 − 1/1024 ≈ 0.00902 each, where Holm gives 0.005.
    const signTest = exactStratified(
      Array.from({ length: 10 }, () => ({ baseCount: 1, baseTotal: 1, currentCount: 0, currentTotal: 1 })),
    ).less;
    const [sign, latency] = discreteHolm(
      [
        { p: signTest.p, weight: 1, attainable: signTest.attainable },
        { p: 0.0095, weight: 1, attainable: null },
      ],
      0.01,
    );
    expect(sign).toMatchObject({ rejected: true, noShare: false });
    expect(sign!.firstLevel).toBeCloseTo(0.01 - 1 / 1024, 12);
    // 0.0095 misses the first level; with the sign test rejected, it faces all of alpha and rejects.
    expect(latency).toMatchObject({ rejected: true, noShare: false });
    expect(latency!.firstLevel).toBeCloseTo(0.01 - 1 / 1024, 12);
    expect(latency!.threshold).toBeCloseTo(0.01, 12);
  });

  it('a test that could never reject takes no share, and says so (Tarone)', () => {
    // Two turned scenarios: p is 0.25 at best, over any level; the continuous test takes all of alpha.
    const [twoTurned, other] = discreteHolm(
      [
        { p: 0.25, weight: 1, attainable: [0.25, 0.75, 1] },
        { p: 0.02, weight: 1, attainable: null },
      ],
      0.01,
    );
    expect(twoTurned).toMatchObject({ rejected: false, noShare: true });
    expect(twoTurned!.threshold).toBeCloseTo(0.01, 12);
    expect(other).toMatchObject({ rejected: false, noShare: false });
    expect(other!.threshold).toBeCloseTo(0.01, 12);
    // A weight of 0 takes no share and is never rejected.
    expect(discreteHolm([{ p: 0, weight: 0, attainable: null }], 0.01)[0]).toMatchObject({ rejected: false });
    expect(discreteHolm([], 0.01)).toEqual([]);
  });

  it('holds the family-wise false-alarm rate at alpha with exact tests (simulated)', () => {
    // Three sign tests with no change and a continuous test, 20,000 families: how often any rejects.
    const random = new SeededRandom(7);
    const uniform = () => random.int(0, 999_999) / 1_000_000;
    let anyRejected = 0;
    const families = 20_000;
    for (let family = 0; family < families; family += 1) {
      const tests: FamilyTest[] = [12, 9, 20].map((turned) => {
        const losses = Array.from({ length: turned }, () => uniform() < 0.5).filter(Boolean).length;
        const strata = Array.from({ length: turned }, (_, index) => ({
          baseCount: index < losses ? 1 : 0,
          baseTotal: 1,
          currentCount: index < losses ? 0 : 1,
          currentTotal: 1,
        }));
        const test = exactStratified(strata).less;
        return { p: test.p, weight: 1, attainable: test.attainable };
      });
      tests.push({ p: uniform(), weight: 1, attainable: null });
      if (discreteHolm(tests, 0.05).some((decision) => decision.rejected)) anyRejected += 1;
    }
    // At most alpha, within sampling error (3 standard errors of 20,000 runs at 5 %: 0.46 points).
    expect(anyRejected / families).toBeLessThanOrEqual(0.05 + 0.0046);
    // And more than Holm spends here: it would give each test 0.0125, which the discrete ones reach less often.
    expect(anyRejected / families).toBeGreaterThan(0.03);
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

  it('Holm step-down', () => {
    // m = 4, alpha = 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 in order of p
    expect(holm([0.01, 0.04, 0.015, 0.2], 0.05)).toEqual([
      { threshold: 0.0125, rejected: true },
      { threshold: 0.025, rejected: false },
      { threshold: 0.05 / 3, rejected: true },
      { threshold: 0.05, rejected: false },
    ]);
    // Once one is kept, none after it is rejected, even under its own threshold.
    expect(holm([0.04, 0.001, 0.035], 0.06).map((entry) => entry.rejected)).toEqual([false, true, false]);
  });
});

describe('weighted Holm', () => {
  it('is Holm with equal weights, and gives each hypothesis alpha · weight / the weight left', () => {
    const p = [0.001, 0.04, 0.02, 0.5];
    expect(weightedHolm(p, [1, 1, 1, 1], 0.05)).toEqual(holm(p, 0.05));
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
