// Statistics the gate needs. simple-statistics gives the error function and quantiles; what it
// lacks is written here, each piece small and tested against SciPy reference values:
// the exact stratified test on counts (Fisher's exact test, conditioned per scenario, combined
// by convolution — the exact form of the Cochran–Mantel–Haenszel test), Wilson intervals, the
// binomial tail, and Holm's step-down procedure.
import { errorFunction } from 'simple-statistics';

/** Φ(z). (simple-statistics' own probit is off by 0.01 in the tails, so the gate works in p-values.) */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** The p-quantile of the standard normal, by bisection on Φ (exact where probit is not). */
export function normalQuantile(p: number): number {
  let low = -40;
  let high = 40;
  for (let step = 0; step < 200 && high - low > 1e-12; step += 1) {
    const middle = (low + high) / 2;
    if (normalCdf(middle) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k += 1) logFactorials.push(logFactorials[k - 1]! + Math.log(k));
  return logFactorials[n]!;
}

export const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/** P(X = k) for X ~ Hypergeometric(population, successes, draws); support [lo, hi]. */
function hypergeometric(population: number, successes: number, draws: number): { lo: number; pmf: number[] } {
  const lo = Math.max(0, draws - (population - successes));
  const hi = Math.min(draws, successes);
  const denominator = logChoose(population, draws);
  const pmf: number[] = [];
  for (let k = lo; k <= hi; k += 1)
    pmf.push(Math.exp(logChoose(successes, k) + logChoose(population - successes, draws - k) - denominator));
  return { lo, pmf };
}

export interface Stratum {
  baseCount: number;
  baseTotal: number;
  currentCount: number;
  currentTotal: number;
}

/** One direction of the exact stratified test: its p-value, and the smallest it could have given. */
export interface OneSidedExact {
  p: number;
  /**
   * All the counts as far as they go in this direction. Conditional on the totals the test is
   * discrete: with few counts to move, no outcome is significant at a small level (Tarone 1990).
   */
  smallestP: number;
}

/**
 * One-sided exact tests that the current side has fewer (`less`) or more (`greater`) counts than
 * the baseline, stratified by scenario. Under no change, each scenario's current count given both
 * sides' totals is hypergeometric; the total over scenarios is their convolution, built once for
 * both directions.
 */
export function exactStratified(strata: readonly Stratum[]): { less: OneSidedExact; greater: OneSidedExact } {
  let distribution = [1];
  let offset = 0;
  let observed = 0;
  for (const stratum of strata) {
    if (stratum.currentTotal === 0 || stratum.baseTotal === 0) continue;
    const { lo, pmf } = hypergeometric(
      stratum.baseTotal + stratum.currentTotal,
      stratum.baseCount + stratum.currentCount,
      stratum.currentTotal,
    );
    const next = new Array<number>(distribution.length + pmf.length - 1).fill(0);
    for (let i = 0; i < distribution.length; i += 1) {
      for (let j = 0; j < pmf.length; j += 1) next[i + j]! += distribution[i]! * pmf[j]!;
    }
    distribution = next;
    offset += lo;
    observed += stratum.currentCount;
  }
  const index = observed - offset;
  let less = 0;
  let greater = 0;
  for (let i = 0; i < distribution.length; i += 1) {
    if (i <= index) less += distribution[i]!;
    if (i >= index) greater += distribution[i]!;
  }
  return {
    less: { p: Math.min(1, less), smallestP: Math.min(1, distribution[0] ?? 1) },
    greater: { p: Math.min(1, greater), smallestP: Math.min(1, distribution[distribution.length - 1] ?? 1) },
  };
}

/** Wilson score interval for a proportion (95 % by default). */
export function wilsonInterval(count: number, total: number, z = 1.959963984540054): [number, number] {
  if (total === 0) return [0, 1];
  const p = count / total;
  const z2 = z * z;
  const centre = (p + z2 / (2 * total)) / (1 + z2 / total);
  const half = (z / (1 + z2 / total)) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let total = 0;
  for (let i = k; i <= n; i += 1) total += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return Math.min(1, total);
}

/**
 * Holm's procedure with weights (Holm 1979): hypotheses are taken in order of p / weight, and the
 * j-th is rejected if its p is at most alpha · its weight / the weight of those not yet rejected.
 * The family-wise error rate stays at most alpha; a lone hypothesis faces alpha · weight / total.
 * With equal weights it is Holm's step-down procedure, thresholds alpha / (m − rank).
 */
// A hypothesis of weight 0 has no share of alpha: it comes last and is never rejected.
const ratio = (entry: { p: number; weight: number }) => (entry.weight > 0 ? entry.p / entry.weight : Infinity);

export function weightedHolm(
  pValues: readonly number[],
  weights: readonly number[],
  alpha: number,
): { threshold: number; rejected: boolean }[] {
  const order = pValues
    .map((p, index) => ({ p, index, weight: weights[index] ?? 1 }))
    .sort((a, b) => ratio(a) - ratio(b));
  let remaining = order.reduce((sum, entry) => sum + entry.weight, 0);
  const result = pValues.map(() => ({ threshold: 0, rejected: false }));
  let stillRejecting = true;
  for (const { p, index, weight } of order) {
    const threshold = weight > 0 ? (alpha * weight) / remaining : 0;
    const rejected = stillRejecting && weight > 0 && p <= threshold;
    result[index] = { threshold, rejected };
    if (!rejected) stillRejecting = false;
    remaining -= weight;
  }
  return result;
}

/**
 * Which tests of a Holm family take part in it (Tarone 1990, with weights): a discrete test whose
 * smallest possible p-value is above its level could never reject, so it gives its share of alpha
 * to the others. A test's level is `alpha · weight / W`, W the sum of the weights of the tests
 * kept. Kept are the k tests that reach the highest W, for the largest k whose k-th still reaches
 * the W of those k. The smallest p-values depend only on the totals the tests condition on, so the
 * family's false-alarm rate stays at most alpha.
 */
export function testsThatCanReject(smallestP: readonly number[], weights: readonly number[], alpha: number): boolean[] {
  // The highest W at which each test could still reject.
  const reach = smallestP.map((p, index) => (p <= 0 ? Infinity : (alpha * (weights[index] ?? 1)) / p));
  const order = reach.map((_, index) => index).sort((a, b) => Math.sign((reach[b] ?? 0) - (reach[a] ?? 0)) || 0);
  let keptCount = 0;
  let total = 0;
  order.forEach((index, position) => {
    total += weights[index] ?? 1;
    if ((reach[index] ?? 0) >= total) keptCount = position + 1;
  });
  const kept = smallestP.map(() => false);
  for (const index of order.slice(0, keptCount)) kept[index] = true;
  return kept;
}

/** ln Γ(x) (Lanczos, g = 7), for the incomplete beta function below. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i += 1) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b), by Lentz's continued fraction. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(Math.log(x) * a + Math.log1p(-x) * b - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 300; i += 1) {
    const m = Math.floor(i / 2);
    const numerator =
      i === 0
        ? 1
        : i % 2 === 0
          ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
          : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + numerator * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + numerator / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(1 - delta) < 1e-14) break;
  }
  return front * (f - 1);
}

/** Student's t CDF with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  let low = -1e3;
  let high = 1e3;
  for (let step = 0; step < 200 && high - low > 1e-10; step += 1) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}
