// The gate's decision rule. A metric regresses only when its change is beyond its practical margin
// AND statistically significant, with the family-wise false-alarm rate over every gated metric of
// every target held at alpha (Holm). Rates: exact tests on counts, stratified by scenario. Typical
// latency: per-scenario log ratios, with run-to-run drift from the baseline's history. p95: an
// exceedance test, only with enough samples. Cold start: against the history of cold starts.
import { z } from 'zod';
import type { GateSettings } from '../config/schema.js';
import { outcomeRateCounts, type Metrics, type ScenarioOutcome } from '../measure/metrics.js';
import { METRIC_NAMES, METRICS, SAMPLE_SERIES, type MetricName, type SampleSeries } from '../metric-catalog.js';
import type { Sample } from '../run/sample.js';
import type { BaselineRun } from './baseline.js';
import {
  normalQuantile,
  binomialUpperTail,
  exactStratified,
  testsThatCanReject,
  logChoose,
  weightedHolm,
  normalCdf,
  studentTCdf,
  studentTQuantile,
  type Stratum,
} from '../lib/statistics.js';
import { defined } from '../lib/defined.js';
import { keyedRecord } from '../lib/records.js';
import { round } from '../lib/round.js';
import { plural } from '../lib/words.js';

/** inconclusive: worse by more than the margin, but this run could not show it significant. */
export const metricStatusSchema = z.enum(['regressed', 'improved', 'within-noise', 'inconclusive', 'not-gated']);
export type MetricStatus = z.infer<typeof metricStatusSchema>;

export interface GateRule {
  /** Points for rates, percent for latency and speed. */
  margin: number;
  enabled: boolean;
}

/** The config's overrides of the defaults, per metric: either field may be left out. */
export type GateRules = GateSettings['rules'];

export const DEFAULT_GATE_RULES = Object.fromEntries(
  METRIC_NAMES.map((name) => [name, { margin: METRICS[name].gate.margin, enabled: METRICS[name].gate.gatedByDefault }]),
) as Record<MetricName, GateRule>;

/**
 * Run-to-run drift (SD of a job's log latency level): a prior of 5 %, worth DRIFT_PRIOR_RUNS runs,
 * combined with what the baseline's runs show. A variance from a handful of runs alone is often
 * far too small, and an underestimated drift is a false alarm.
 */
export const DEFAULT_DRIFT_SD = 0.05;
export const DRIFT_PRIOR_RUNS = 4;
/** A p95 can only be bounded without assumptions from 59 samples up (0.95^59 < 0.05). */
export const MIN_SAMPLES_FOR_P95 = 60;
export const MIN_COLD_HISTORY = 3;

export const metricVerdictSchema = z.object({
  target: z.string(),
  metric: z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]),
  status: metricStatusSchema,
  baseline: z.number().nullable(),
  current: z.number().nullable(),
  /** Points for rates, percent for the rest; positive means the value went up. */
  change: z.number().nullable(),
  changeUnit: z.enum(['points', '%']),
  margin: z.number(),
  pValue: z.number().nullable(),
  /** The Holm threshold this p-value was held to. */
  threshold: z.number().nullable(),
  /** 95 % interval of the change, in the change's unit, where the test gives one. */
  interval: z.tuple([z.number(), z.number()]).nullable(),
  reason: z.string(),
  /** Worse by more than the margin but not significant: worth confirming with more samples. */
  suspicious: z.boolean(),
  /**
   * The smallest change for the worse, in the change's unit, that this run would have caught 9 times
   * in 10 at this metric's share of the run's false-alarm rate: beyond the margin and significant.
   * Null where the metric was not tested. Absent from reports of older versions.
   */
  detectable: z.number().nullable().default(null),
  /** What the compared values count, where it is not the metric's own calls: "12/15 scenarios". */
  basis: z.string().nullable().default(null),
  /**
   * The compared statistic for each baseline run, newest first, where it is not the run's stored
   * metric (a latency level: each run's typical call); the trend charts plot these. Null otherwise.
   */
  baselineRuns: z.array(z.number().nullable()).nullable().default(null),
});
export type MetricVerdict = z.infer<typeof metricVerdictSchema>;

export interface CurrentRun {
  scenarios: readonly ScenarioOutcome[];
  samples: readonly Sample[];
  metrics: Metrics;
}

interface Candidate {
  verdict: MetricVerdict;
  /**
   * False where more calls in this job could barely sharpen the test (a latency level whose
   * uncertainty is mostly job-to-job drift): it then keeps no share for a confirmation.
   */
  worthConfirming?: boolean;
  /** The smallest worse change this test would catch with 90 % power at a given level, as the verdict shows it. */
  detectable?: (alpha: number) => number | null;
  /** p-value that the change is for the worse (the Holm family); null when not tested. */
  pWorse: number | null;
  /** The smallest pWorse this test could have given on these totals: above its level, it leaves the Holm family. */
  smallestPWorse: number;
  /** Left out of the Holm family: no outcome on these totals could have reached its level. */
  leftOut?: boolean;
  pBetter: number | null;
  beyondMarginWorse: boolean;
  beyondMarginBetter: boolean;
}

/** How a rate-tested metric is counted per scenario: an outcome rate, or a binary score's sum. */
function ratePick(metric: MetricName): (o: ScenarioOutcome) => { count: number; total: number } | null {
  const measure = METRICS[metric].measure;
  if ('rate' in measure) return (o) => outcomeRateCounts(o, measure.rate);
  if ('score' in measure)
    return (o) => {
      const entry = o.scores?.[measure.score];
      return entry ? { count: Math.round(entry.sum), total: entry.n } : null;
    };
  throw new Error(`Internal error: ${metric} is not a rate.`);
}

/** The per-call series a location or tail metric is tested on. */
function seriesOf(metric: MetricName): SampleSeries {
  const measure = METRICS[metric].measure;
  if ('series' in measure) return measure.series;
  throw new Error(`Internal error: ${metric} has no per-call series.`);
}

const worseDirection = (metric: MetricName) => (METRICS[metric].better === 'higher' ? 'less' : 'greater');

function currentSeries(samples: readonly Sample[], series: SampleSeries): Record<string, number[]> {
  const field = SAMPLE_SERIES[series];
  const byScenario = keyedRecord<number[]>();
  for (const sample of samples) {
    if (sample.phase !== 'warm' || sample.errorClass !== null || !sample.timed) continue;
    const value = sample[field];
    if (value !== null && value > 0) (byScenario[sample.scenario] ??= []).push(value);
  }
  return byScenario;
}

function newVerdict(
  fields: Pick<MetricVerdict, 'target' | 'metric' | 'baseline' | 'current' | 'changeUnit' | 'margin'>,
): MetricVerdict {
  return {
    ...fields,
    status: 'not-gated',
    change: null,
    pValue: null,
    threshold: null,
    interval: null,
    reason: '',
    suspicious: false,
    detectable: null,
    basis: null,
    baselineRuns: null,
  };
}

const untested = (verdict: MetricVerdict): Candidate => ({
  verdict,
  pWorse: null,
  smallestPWorse: 1,
  pBetter: null,
  beyondMarginWorse: false,
  beyondMarginBetter: false,
});

/** The candidate for a test: which way is worse, and whether the change is beyond the margin each way. */
function tested(
  verdict: MetricVerdict,
  pWorse: number,
  pBetter: number | null,
  worseChange: number,
  margin: number,
  detectable?: (alpha: number) => number | null,
  smallestPWorse = 0,
): Candidate {
  return {
    verdict,
    pWorse,
    smallestPWorse,
    pBetter,
    beyondMarginWorse: worseChange > margin,
    beyondMarginBetter: -worseChange > margin,
    ...(detectable ? { detectable } : {}),
  };
}

/** The power the minimum detectable change is stated at. */
export const DETECTION_POWER = 0.9;
const POWER_Z = normalQuantile(DETECTION_POWER);

/**
 * The minimum detectable change of an estimate with standard error `se` (normal approximation): the
 * true change for the worse at which 90 % of runs see it beyond the margin and significant at a
 * one-sided `alpha`, max(margin + z₀.₉·se, (z₁₋α + z₀.₉)·se). In the estimate's own unit.
 */
export function minimumDetectable(
  se: number,
  margin: number,
  alpha: number,
  criticalZ = normalQuantile(1 - alpha),
): number {
  return Math.max(margin + POWER_Z * se, (criticalZ + POWER_Z) * se);
}

/** The same for an estimate on the log scale, shown as a percent change for the worse. */
function detectablePct(se: number, marginPct: number, worseIsHigher: boolean, criticalZ?: (alpha: number) => number) {
  return (alpha: number) => {
    const margin = worseIsHigher ? Math.log(1 + marginPct / 100) : -Math.log(1 - Math.min(marginPct, 99) / 100);
    const log = minimumDetectable(se, margin, alpha, criticalZ?.(alpha));
    return round((worseIsHigher ? Math.exp(log) - 1 : 1 - Math.exp(-log)) * 100, 1);
  };
}
const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * Quality rates count each scenario once: at temperature 0 a scenario asked again answers the same,
 * so its repeats are one piece of evidence, not several. Errors are the server's, call by call.
 */
function scenarioIsUnit(metric: MetricName): boolean {
  const measure = METRICS[metric].measure;
  return 'score' in measure || ('rate' in measure && measure.rate.counting !== 'errors');
}

/** A scenario's outcome as one unit: whether most of its calls showed the outcome. */
const asUnit = (entry: { count: number; total: number }) => ({
  count: entry.count * 2 >= entry.total ? 1 : 0,
  total: 1,
});

/**
 * The minimum detectable change of a paired test on n scenarios (the scenario as the unit), exactly:
 * the fewest scenarios k that must turn worse, on top of `discordant` scenarios that flip either way
 * at random, for the sign test on the flipped scenarios to be significant at `alpha` and the change
 * beyond the margin in 90 % of runs. In points; null where even every scenario turning is not enough.
 */
export function pairedRateDetectable(n: number, discordant: number, margin: number, alpha: number): number | null {
  const background = Array.from({ length: discordant + 1 }, (_, g) =>
    Math.exp(logChoose(discordant, g) - discordant * Math.LN2),
  );
  for (let k = 1; k <= n - discordant; k += 1) {
    let power = 0;
    for (let gains = 0; gains <= discordant; gains += 1) {
      const losses = discordant - gains + k;
      const significant = binomialUpperTail(losses, discordant + k, 0.5) <= alpha;
      if (significant && ((losses - gains) / n) * 100 > margin) power += background[gains] ?? 0;
    }
    if (power >= DETECTION_POWER) return round((k / n) * 100, 1);
  }
  return null;
}

function rateCandidate(
  target: string,
  metric: MetricName,
  runs: readonly BaselineRun[],
  current: CurrentRun,
  rule: GateRule,
): Candidate {
  const pick = ratePick(metric);
  const perScenario = scenarioIsUnit(metric);
  // Scenario against scenario, one job against one job: the newest baseline run only. Pooling the
  // baseline's runs would steady its side (a majority of three calls rarely flips) while this run's
  // side flips as often as a call does, and at a high rate most flips are losses: a false alarm.
  const compared = perScenario ? runs.slice(0, 1) : runs;
  const pooled = new Map<string, { count: number; total: number }>();
  for (const run of compared) {
    for (const outcome of run.scenarios) {
      const picked = pick(outcome);
      if (!picked) continue;
      const entry = pooled.get(outcome.scenario) ?? { count: 0, total: 0 };
      entry.count += picked.count;
      entry.total += picked.total;
      pooled.set(outcome.scenario, entry);
    }
  }
  const strata: Stratum[] = [];
  let baseCount = 0;
  let baseTotal = 0;
  let currentCount = 0;
  let currentTotal = 0;
  // Scenarios that turned up and down: the flips both ways are chance; the surplus one way is the change.
  let turnedUp = 0;
  let turnedDown = 0;
  for (const outcome of current.scenarios) {
    const measured = pick(outcome);
    const pooledBase = pooled.get(outcome.scenario);
    if (!measured || !pooledBase || measured.total === 0 || pooledBase.total === 0) continue;
    const [base, now] = perScenario ? [asUnit(pooledBase), asUnit(measured)] : [pooledBase, measured];
    strata.push({ baseCount: base.count, baseTotal: base.total, currentCount: now.count, currentTotal: now.total });
    if (perScenario && now.count > base.count) turnedUp += 1;
    if (perScenario && now.count < base.count) turnedDown += 1;
    baseCount += base.count;
    baseTotal += base.total;
    currentCount += now.count;
    currentTotal += now.total;
  }
  const baseRate = baseTotal ? (baseCount / baseTotal) * 100 : null;
  const currentRate = currentTotal ? (currentCount / currentTotal) * 100 : null;
  const verdict = newVerdict({
    target,
    metric,
    baseline: baseRate === null ? null : round(baseRate),
    current: currentRate === null ? null : round(currentRate),
    changeUnit: 'points',
    margin: rule.margin,
  });
  if (baseRate === null || currentRate === null) {
    verdict.reason = 'no scenario measured on both sides';
    return untested(verdict);
  }
  const change = currentRate - baseRate;
  verdict.change = round(change);
  if (perScenario) verdict.basis = `${currentCount}/${currentTotal} scenarios`;
  const { less, greater } = exactStratified(strata);
  const worseIsLower = worseDirection(metric) === 'less';
  // Call-level rates: binomial variance at the baseline's rate, kept off 0 and 1 so that a perfect
  // baseline still needs counts.
  const p = (baseCount + 0.5) / (baseTotal + 1);
  const callSe = () => Math.sqrt(p * (1 - p) * (1 / baseTotal + 1 / currentTotal)) * 100;
  const [worse, better] = worseIsLower ? [less, greater] : [greater, less];
  return tested(
    verdict,
    worse.p,
    better.p,
    worseIsLower ? -change : change,
    rule.margin,
    perScenario
      ? // What this run could see on top of the chance flips it showed: twice the smaller direction.
        (alpha) => pairedRateDetectable(strata.length, 2 * Math.min(turnedUp, turnedDown), rule.margin, alpha)
      : (alpha) => round(minimumDetectable(callSe(), rule.margin, alpha), 1),
    worse.smallestP,
  );
}

/**
 * A fractional score (entity recall, OCR similarity…) whose per-answer values are not counts: the
 * scenarios are the units. Each scenario's mean now minus its mean over the baseline runs, and a
 * paired t-test over scenarios; answers within one scenario are too alike to count as independent.
 */
function scoreCandidate(
  target: string,
  metric: MetricName,
  runs: readonly BaselineRun[],
  current: CurrentRun,
  rule: GateRule,
): Candidate {
  const measure = METRICS[metric].measure;
  if (!('score' in measure)) throw new Error(`Internal error: ${metric} is not a score.`);
  const score = measure.score;
  const pooled = new Map<string, { sum: number; n: number }>();
  for (const run of runs) {
    for (const outcome of run.scenarios) {
      const entry = outcome.scores?.[score];
      if (!entry || entry.n === 0) continue;
      const total = pooled.get(outcome.scenario) ?? { sum: 0, n: 0 };
      pooled.set(outcome.scenario, { sum: total.sum + entry.sum, n: total.n + entry.n });
    }
  }
  const pairs: { base: number; now: number }[] = [];
  for (const outcome of current.scenarios) {
    const now = outcome.scores?.[score];
    const base = pooled.get(outcome.scenario);
    if (now && now.n > 0 && base) pairs.push({ base: base.sum / base.n, now: now.sum / now.n });
  }
  const differences = pairs.map((pair) => pair.now - pair.base);
  const verdict = newVerdict({
    target,
    metric,
    baseline: runs[0]?.metrics[metric] ?? null,
    current: current.metrics[metric].value,
    changeUnit: 'points',
    margin: rule.margin,
  });
  // The values compared: the mean over the scenarios measured on both sides, so the change is their difference.
  if (pairs.length > 0) {
    verdict.baseline = round(mean(pairs.map((pair) => pair.base)) * 100);
    verdict.current = round(mean(pairs.map((pair) => pair.now)) * 100);
  }
  if (differences.length < 2) {
    verdict.reason =
      differences.length === 0
        ? 'no scenario measured on both sides'
        : 'reported, not gated: one scenario on both sides cannot show noise';
    return untested(verdict);
  }
  const k = differences.length;
  const change = mean(differences) * 100;
  const sd = Math.sqrt(differences.reduce((sum, value) => sum + (value * 100 - change) ** 2, 0) / (k - 1));
  const standardError = sd / Math.sqrt(k);
  verdict.change = round(change);
  // Every scenario moved by exactly the same amount: no noise to weigh it against.
  if (standardError === 0) {
    verdict.interval = [round(change), round(change)];
    verdict.reason = `every one of ${k} scenarios moved by the same amount`;
    return tested(verdict, change < 0 ? 0 : 1, change > 0 ? 0 : 1, -change, rule.margin, () => rule.margin);
  }
  const t = change / standardError;
  const spread = studentTQuantile(0.975, k - 1) * standardError;
  verdict.interval = [round(change - spread), round(change + spread)];
  verdict.reason = `paired over ${k} scenarios (t = ${t.toFixed(2)}, ${k - 1} df)`;
  // Higher is better for every score: worse means lower.
  return tested(verdict, studentTCdf(t, k - 1), 1 - studentTCdf(t, k - 1), -change, rule.margin, (alpha) =>
    round(minimumDetectable(standardError, rule.margin, alpha, studentTQuantile(1 - alpha, k - 1)), 1),
  );
}

/**
 * Typical latency (or speed): the mean over scenarios of log(current / baseline), each side's
 * per-scenario mean of logs. Its variance: sampling (pooled within-scenario variance) plus
 * run-to-run drift, estimated from the spread of the baseline runs when there are three or more.
 */
function locationCandidate(
  target: string,
  metric: MetricName,
  runs: readonly BaselineRun[],
  current: CurrentRun,
  rule: GateRule,
): Candidate {
  const series = seriesOf(metric);
  const now = currentSeries(current.samples, series);
  const verdict = newVerdict({
    target,
    metric,
    baseline: runs[0]?.metrics[metric] ?? null,
    current: current.metrics[metric].value,
    changeUnit: '%',
    margin: rule.margin,
  });
  const scenarioIds = Object.keys(now).filter((id) => runs.some((run) => (run[series][id]?.length ?? 0) > 0));
  if (scenarioIds.length === 0) {
    verdict.reason = 'no scenario measured on both sides';
    return untested(verdict);
  }
  let residualSquares = 0;
  let residualDf = 0;
  let inverseCounts = 0;
  let currentInverseCounts = 0;
  const differences: number[] = [];
  const baseLevels: number[] = [];
  for (const id of scenarioIds) {
    const currentLogs = (now[id] ?? []).map(Math.log);
    const baseLogs = runs.flatMap((run) => (run[series][id] ?? []).filter((value) => value > 0)).map(Math.log);
    const currentMean = mean(currentLogs);
    const baseMean = mean(baseLogs);
    baseLevels.push(baseMean);
    differences.push(currentMean - baseMean);
    for (const value of currentLogs) residualSquares += (value - currentMean) ** 2;
    for (const value of baseLogs) residualSquares += (value - baseMean) ** 2;
    residualDf += currentLogs.length - 1 + baseLogs.length - 1;
    inverseCounts += 1 / currentLogs.length + 1 / baseLogs.length;
    currentInverseCounts += 1 / currentLogs.length;
  }
  const withinVariance = residualDf > 0 ? residualSquares / residualDf : DEFAULT_DRIFT_SD ** 2;
  const samplingVariance = (withinVariance * inverseCounts) / scenarioIds.length ** 2;
  // Drift: how much a whole run's level moves between jobs, from the baseline runs' levels. A run's
  // level is taken over the scenarios it measured, each against that scenario's mean over the runs,
  // so that a run with a failed call still counts (at 300 scenarios most runs have one); a run that
  // measured under 90 % of the scenarios (stopped early) does not.
  const perRun = runs.map(
    (run) =>
      new Map(
        scenarioIds.flatMap((id) => {
          const values = run[series][id]?.filter((value) => value > 0) ?? [];
          return values.length > 0 ? [[id, mean(values.map(Math.log))] as const] : [];
        }),
      ),
  );
  const scenarioLevel = new Map(
    scenarioIds.map((id) => [id, mean(perRun.flatMap((levels) => levels.get(id) ?? []))] as const),
  );
  const runLevel = (levels: ReadonlyMap<string, number>) =>
    mean([...levels].map(([id, level]) => level - (scenarioLevel.get(id) ?? level)));
  const runLevels = perRun.filter((levels) => levels.size >= 0.9 * scenarioIds.length).map(runLevel);
  const observedDf = Math.max(0, runLevels.length - 1);
  const observedSquares =
    observedDf > 0 ? runLevels.reduce((sum, level) => sum + (level - mean(runLevels)) ** 2, 0) : 0;
  const driftVariance = (DRIFT_PRIOR_RUNS * DEFAULT_DRIFT_SD ** 2 + observedSquares) / (DRIFT_PRIOR_RUNS + observedDf);
  const sd = Math.sqrt(samplingVariance + driftVariance * (1 + 1 / Math.max(1, runs.length)));
  // A confirmation doubles this run's calls, which halves this side's sampling variance and leaves
  // the drift as it is. Unless that cuts the standard error by a tenth, it is not worth half of
  // this metric's share of alpha: at 300 scenarios the drift is nearly all of it.
  const currentSampling = (withinVariance * currentInverseCounts) / scenarioIds.length ** 2;
  const worthConfirming = Math.sqrt(sd ** 2 - currentSampling / 2) <= 0.9 * sd;
  const difference = mean(differences);
  // The values compared: the typical call on each side (over scenarios, the geometric mean of each
  // scenario's geometric mean; close to the p50), so that the change is their ratio.
  verdict.baseline = round(Math.exp(mean(baseLevels)));
  verdict.current = round(Math.exp(mean(baseLevels) + difference));
  verdict.baselineRuns = perRun.map((levels) =>
    levels.size === 0 ? null : round(Math.exp(mean(baseLevels) + runLevel(levels))),
  );
  const z = difference / sd;
  const ratioPct = (Math.exp(difference) - 1) * 100;
  verdict.change = round(ratioPct, 1);
  verdict.interval = [
    round((Math.exp(difference - 1.959963984540054 * sd) - 1) * 100, 1),
    round((Math.exp(difference + 1.959963984540054 * sd) - 1) * 100, 1),
  ];
  const worseIsHigher = worseDirection(metric) === 'greater';
  const pHigher = 1 - normalCdf(z);
  const pLower = normalCdf(z);
  verdict.reason = `run-to-run drift SD ${(Math.sqrt(driftVariance) * 100).toFixed(1)} % (${plural(runLevels.length, 'baseline run')} and a ${DEFAULT_DRIFT_SD * 100} % prior)`;
  return {
    ...tested(
      verdict,
      worseIsHigher ? pHigher : pLower,
      worseIsHigher ? pLower : pHigher,
      worseIsHigher ? ratioPct : -ratioPct,
      rule.margin,
      detectablePct(sd, rule.margin, worseIsHigher),
    ),
    worthConfirming,
  };
}

/**
 * p95 without assumptions on the distribution: if the current p95 were at most the baseline p95
 * plus the margin, each current sample would exceed that bound with probability at most 5 %; many
 * more exceedances than Binomial(n, 0.05) allows is the evidence.
 */
function tailCandidate(
  target: string,
  metric: MetricName,
  runs: readonly BaselineRun[],
  current: CurrentRun,
  rule: GateRule,
): Candidate {
  const series = seriesOf(metric);
  const now = Object.values(currentSeries(current.samples, series)).flat();
  const base = runs.flatMap((run) => Object.values(run[series]).flat()).sort((a, b) => a - b);
  const verdict = newVerdict({
    target,
    metric,
    baseline: runs[0]?.metrics[metric] ?? null,
    current: current.metrics[metric].value,
    changeUnit: '%',
    margin: rule.margin,
  });
  if (verdict.baseline !== null && verdict.current !== null && verdict.baseline > 0)
    verdict.change = round((verdict.current / verdict.baseline - 1) * 100, 1);
  if (now.length < MIN_SAMPLES_FOR_P95 || base.length < MIN_SAMPLES_FOR_P95) {
    verdict.reason = `reported, not gated: a p95 needs at least ${MIN_SAMPLES_FOR_P95} warm samples on each side (here ${now.length} and ${base.length}); raise warm-runs to gate it`;
    return untested(verdict);
  }
  const index = (base.length - 1) * 0.95;
  const [below, above] = [base[Math.floor(index)] ?? 0, base[Math.ceil(index)] ?? 0];
  const baseP95 = below + (index % 1) * (above - below);
  const bound = baseP95 * (1 + rule.margin / 100);
  const exceedances = now.filter((value) => value > bound).length;
  verdict.reason = `${exceedances} of ${now.length} samples above ${Math.round(bound)} ms (baseline p95 + ${rule.margin} %)`;
  // One-sided by construction: an exceedance count can show a worse tail, not a better one.
  return {
    ...tested(
      verdict,
      binomialUpperTail(exceedances, now.length, 0.05),
      null,
      verdict.change ?? 0,
      rule.margin,
      (alpha) => tailDetectable(base, bound, now.length, alpha),
      binomialUpperTail(now.length, now.length, 0.05),
    ),
    beyondMarginBetter: false,
  };
}

/**
 * The smallest slowdown of every call that the exceedance test would catch 9 times in 10: the
 * baseline's samples scaled up until the share above the bound makes a significant count likely.
 */
function tailDetectable(base: readonly number[], bound: number, n: number, alpha: number): number | null {
  let critical = 0;
  while (critical <= n && binomialUpperTail(critical, n, 0.05) > alpha) critical += 1;
  if (critical > n) return null;
  for (let pct = 1; pct <= 500; pct += 1) {
    const scale = 1 + pct / 100;
    const share = base.filter((value) => value * scale > bound).length / base.length;
    if (1 - binomialUpperTail(critical, n, share) <= 1 - DETECTION_POWER || share >= 1) return pct;
  }
  return null;
}

/** The cold call against the baseline history's cold calls: a one-sided t prediction test on logs. */
function coldCandidate(target: string, runs: readonly BaselineRun[], current: CurrentRun, rule: GateRule): Candidate {
  const history = runs.map((run) => run.coldStartMs).filter((value): value is number => value !== null && value > 0);
  const value = current.metrics.coldStartMs.value;
  const verdict = newVerdict({
    target,
    metric: 'coldStartMs',
    baseline: history.length ? round(Math.exp(mean(history.map(Math.log)))) : null,
    current: value,
    changeUnit: '%',
    margin: rule.margin,
  });
  if (verdict.baseline !== null && value !== null) verdict.change = round((value / verdict.baseline - 1) * 100, 1);
  if (value === null || history.length < MIN_COLD_HISTORY) {
    verdict.reason = `reported, not gated: one cold call is judged against the history of cold calls, and the baseline holds ${history.length} (needs ${MIN_COLD_HISTORY})`;
    return untested(verdict);
  }
  const logs = history.map(Math.log);
  const centre = mean(logs);
  const spread = Math.max(
    Math.sqrt(logs.reduce((sum, entry) => sum + (entry - centre) ** 2, 0) / (logs.length - 1)),
    0.02,
  );
  const t = (Math.log(value) - centre) / (spread * Math.sqrt(1 + 1 / logs.length));
  verdict.reason = `against ${history.length} baseline cold starts (geometric mean ${Math.round(Math.exp(centre))} ms, log SD ${spread.toFixed(2)})`;
  const df = logs.length - 1;
  return tested(
    verdict,
    1 - studentTCdf(t, df),
    studentTCdf(t, df),
    verdict.change ?? 0,
    rule.margin,
    detectablePct(spread * Math.sqrt(1 + 1 / logs.length), rule.margin, true, (alpha) =>
      studentTQuantile(1 - alpha, df),
    ),
  );
}

export interface TargetComparison {
  target: string;
  runs: readonly BaselineRun[];
  current: CurrentRun;
}

function candidatesFor(comparison: TargetComparison, rules: GateRules): Candidate[] {
  const ruleOf = (metric: MetricName) => ({ ...DEFAULT_GATE_RULES[metric], ...(rules[metric] ?? {}) });
  const { target, runs, current } = comparison;
  const candidates: Candidate[] = [];
  // Grouped by kind of test, in catalog order within a group: outcome rates, scores, cold start,
  // typical values, tails (the order of the report's verdicts).
  const testsInOrder: ((metric: MetricName) => Candidate | null)[] = [
    (metric) =>
      'rate' in METRICS[metric].measure ? rateCandidate(target, metric, runs, current, ruleOf(metric)) : null,
    (metric) =>
      'score' in METRICS[metric].measure
        ? METRICS[metric].gate.test === 'rate'
          ? rateCandidate(target, metric, runs, current, ruleOf(metric))
          : scoreCandidate(target, metric, runs, current, ruleOf(metric))
        : null,
    (metric) =>
      METRICS[metric].gate.test === 'cold-start' ? coldCandidate(target, runs, current, ruleOf(metric)) : null,
    (metric) =>
      METRICS[metric].gate.test === 'location'
        ? locationCandidate(target, metric, runs, current, ruleOf(metric))
        : null,
    (metric) =>
      METRICS[metric].gate.test === 'tail' ? tailCandidate(target, metric, runs, current, ruleOf(metric)) : null,
  ];
  for (const test of testsInOrder)
    for (const metric of METRIC_NAMES) {
      const candidate = test(metric);
      if (candidate) candidates.push(candidate);
    }
  for (const candidate of candidates) {
    if (!ruleOf(candidate.verdict.metric).enabled) {
      candidate.pWorse = null;
      candidate.verdict.reason = candidate.verdict.reason
        ? `reported, not gated (disabled); ${candidate.verdict.reason}`
        : 'reported, not gated (disabled)';
    }
  }
  // A metric the suite does not measure (detection in a routing suite, entity recall in a screen
  // check) is neither shown nor tested.
  return candidates.filter((candidate) => candidate.verdict.baseline !== null || candidate.verdict.current !== null);
}

/**
 * Decides every metric of every compared target at once, so Holm holds the whole run at alpha.
 * With `only` (the confirmation stage), the others stay in the Holm family with p = 1: the family
 * is never narrowed to what the data picked, which would let a lone suspect face all of alpha.
 * `weights` share alpha out unequally (weighted Holm): a metric's lone level is alpha · its weight /
 * the family's total weight. A test that could not reject whatever the outcome leaves the Holm family.
 */
export function decideMetrics(
  comparisons: readonly TargetComparison[],
  rules: GateRules,
  alpha: number,
  only?: ReadonlySet<string>,
  weightOf: (verdict: Pick<MetricVerdict, 'target' | 'metric'>) => number = () => 1,
): MetricVerdict[] {
  const candidates = comparisons.flatMap((comparison) => candidatesFor(comparison, rules));
  leaveOutThoseThatCannotReject(candidates, alpha, weightOf);
  return decideCandidates(candidates, alpha, only, weightOf);
}

/**
 * Marks the tests whose smallest possible p-value is above their level (their weight's share of
 * alpha among the tests kept): they stay shown, with their p-value, but take no share of alpha.
 */
function leaveOutThoseThatCannotReject(
  candidates: readonly Candidate[],
  alpha: number,
  weightOf: (verdict: MetricVerdict) => number,
): void {
  const tested = candidates.filter((candidate) => candidate.pWorse !== null);
  const kept = testsThatCanReject(
    tested.map((candidate) => candidate.smallestPWorse),
    tested.map((candidate) => weightOf(candidate.verdict)),
    alpha,
  );
  tested.forEach((candidate, index) => {
    candidate.leftOut = !kept[index];
  });
}

/** decideMetrics on candidates already tested (each decided once: it fills in their verdicts). */
function decideCandidates(
  candidates: readonly Candidate[],
  alpha: number,
  only?: ReadonlySet<string>,
  weightOf: (verdict: Pick<MetricVerdict, 'target' | 'metric'>) => number = () => 1,
): MetricVerdict[] {
  if (only)
    for (const candidate of candidates)
      if (!only.has(verdictKey(candidate.verdict)) && candidate.pWorse !== null) candidate.pWorse = 1;
  const tested = candidates.flatMap((candidate) =>
    candidate.pWorse === null ? [] : [{ ...candidate, pWorse: candidate.pWorse }],
  );
  const holmFamily = tested.filter((candidate) => candidate.leftOut !== true);
  const weights = holmFamily.map((candidate) => weightOf(candidate.verdict));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const decisions = new Map(
    weightedHolm(
      holmFamily.map((candidate) => candidate.pWorse),
      weights,
      alpha,
    ).map((decision, index) => [defined(holmFamily[index], `Holm family member ${index}`).verdict, decision]),
  );
  for (const candidate of tested) {
    const { verdict } = candidate;
    const weight = weightOf(verdict);
    const decision = decisions.get(verdict);
    // The level a lone change must reach first under Holm: this metric's share of the run's alpha
    // (for a test left out, the share it would have had).
    const shareOf = decision ? totalWeight : totalWeight + weight;
    const share = shareOf > 0 ? (alpha * weight) / shareOf : decision ? alpha : 0;
    verdict.pValue = candidate.pWorse;
    verdict.threshold = decision?.threshold ?? share;
    verdict.detectable = candidate.detectable?.(share) ?? null;
    const unit = verdict.changeUnit === 'points' ? 'points' : '%';
    const couldSee =
      verdict.detectable === null ? '' : ` (this run could only see a change of ${verdict.detectable} ${unit} or more)`;
    const leftOutNote = decision
      ? ''
      : `; no outcome on these counts could reach its level ${formatP(share)} (the smallest possible p is ${formatP(candidate.smallestPWorse)}), so it took no share of the run's false-alarm rate`;
    const evidence = decision
      ? `p = ${formatP(candidate.pWorse)} (Holm threshold ${formatP(decision.threshold)}), margin ${verdict.margin} ${unit}`
      : `p = ${formatP(candidate.pWorse)}${leftOutNote}; margin ${verdict.margin} ${unit}`;
    const detail = verdict.reason ? `; ${verdict.reason}` : '';
    if (candidate.beyondMarginWorse && decision?.rejected === true) {
      verdict.status = 'regressed';
      verdict.reason = `worse by more than the margin and significant: ${evidence}${detail}`;
    } else if (candidate.beyondMarginBetter && candidate.pBetter !== null && candidate.pBetter <= alpha) {
      verdict.status = 'improved';
      verdict.reason = `better by more than the margin: p = ${formatP(candidate.pBetter)}${detail}`;
    } else {
      verdict.status = candidate.beyondMarginWorse ? 'inconclusive' : 'within-noise';
      // Only where more calls of the same scenarios are new evidence: quality counts each scenario once.
      verdict.suspicious =
        candidate.beyondMarginWorse && !scenarioIsUnit(verdict.metric) && candidate.worthConfirming !== false;
      verdict.reason = candidate.beyondMarginWorse
        ? `worse by more than the margin but not significant${couldSee}: ${evidence}${detail}`
        : `change within the margin (${verdict.margin} ${unit})${leftOutNote}${detail}`;
    }
  }
  const verdicts = candidates.map((candidate) => candidate.verdict);
  return only ? verdicts.filter((verdict) => only.has(verdictKey(verdict))) : verdicts;
}

export const verdictKey = (verdict: Pick<MetricVerdict, 'target' | 'metric'>) =>
  `${verdict.target}\u0000${verdict.metric}`;

/** The scenarios a metric is made of: re-running them (all of them, never a pick by outcome) confirms it. */
export function scenariosOfMetric(
  metric: MetricName,
  scenarios: readonly { id: string; anomaly: boolean | null }[],
): string[] {
  const measure = METRICS[metric].measure;
  const only = 'rate' in measure ? measure.rate.scenarios : 'all';
  return scenarios
    .filter((scenario) => only === 'all' || scenario.anomaly === (only === 'anomalies'))
    .map((scenario) => scenario.id);
}

/** Whether more calls of a metric's scenarios are new evidence: latency and errors, not quality. */
export const confirmable = (metric: MetricName) => !scenarioIsUnit(metric) && metric !== 'coldStartMs';

/**
 * Two-stage decision with confirmation. Each tested metric has a Bonferroni share of alpha, alpha/m.
 * A metric that can be confirmed (latency, errors) spends half of its share in stage one and keeps
 * half for its confirmation; a quality metric, which more calls cannot confirm, spends all of it in
 * stage one (weighted Holm), and so does a latency level whose uncertainty is mostly job-to-job
 * drift, which more calls in the same job cannot shrink (decided from the variances, never from the
 * direction of the change). Suspicious metrics (worse beyond the margin, not significant) get
 * `confirm` — more samples of their scenarios — and are decided again by Holm over the confirmable
 * metrics at their reserved halves. By the union bound the run's false-alarm rate stays at most alpha.
 * In each stage, a test that could not reject whatever its outcome leaves that stage's Holm family.
 */
export async function decideWithConfirmation(
  comparisons: readonly TargetComparison[],
  rules: GateRules,
  alpha: number,
  confirm: ((suspicious: readonly MetricVerdict[]) => Promise<readonly TargetComparison[]>) | null,
): Promise<MetricVerdict[]> {
  if (!confirm) return decideMetrics(comparisons, rules, alpha);
  const candidates = comparisons.flatMap((comparison) => candidatesFor(comparison, rules));
  const tested = candidates.filter((candidate) => candidate.pWorse !== null);
  const reservedKeys = new Set(
    tested
      .filter((candidate) => confirmable(candidate.verdict.metric) && candidate.worthConfirming !== false)
      .map((candidate) => verdictKey(candidate.verdict)),
  );
  const reserved = reservedKeys.size;
  // Stage one: the whole family, at alpha less the confirmable metrics' reserved halves.
  const stageOne = (alpha * (tested.length - reserved / 2)) / Math.max(1, tested.length);
  const stageOneWeight = (verdict: Pick<MetricVerdict, 'target' | 'metric'>) =>
    reservedKeys.has(verdictKey(verdict)) ? 0.5 : 1;
  // A test that cannot reject gives its stage-one share to the others; a confirmable one keeps its
  // reserved half, since the confirmation's counts may let it reject.
  leaveOutThoseThatCannotReject(candidates, stageOne, stageOneWeight);
  const first = decideCandidates(candidates, stageOne, undefined, stageOneWeight);
  const suspicious = first.filter((verdict) => verdict.suspicious && reservedKeys.has(verdictKey(verdict)));
  if (suspicious.length === 0) return first;
  const confirmed = await confirm(suspicious);
  // Stage two: Holm over the metrics that reserved a half in stage one, at the sum of those halves
  // (a metric first tested on the confirmation's extra samples has no share).
  const stageTwo = (alpha * reserved) / 2 / Math.max(1, tested.length);
  const second = decideMetrics(confirmed, rules, stageTwo, new Set(suspicious.map(verdictKey)), (verdict) =>
    reservedKeys.has(verdictKey(verdict)) ? 1 : 0,
  );
  const byKey = new Map(second.map((verdict) => [verdictKey(verdict), verdict]));
  return first.map((verdict) => {
    const retried = byKey.get(verdictKey(verdict));
    if (!retried) return verdict;
    return { ...retried, reason: `confirmed with more samples: ${retried.reason}` };
  });
}

export function formatP(p: number): string {
  if (p < 0.0001) return p.toExponential(1);
  return p.toPrecision(2);
}
