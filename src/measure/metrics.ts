// Samples → metrics, each with the counts or sample sizes behind it. Quality rates come from the
// warm calls (every scenario the same number of times); the cold call gives the cold start alone.
import { mean, quantileSorted } from 'simple-statistics';
import { keyedRecord } from '../lib/records.js';
import { z } from 'zod';
import type { Sample } from '../run/sample.js';
import {
  METRIC_NAMES,
  METRICS,
  SAMPLE_SERIES,
  scoreOf,
  type MetricName,
  type OutcomeRate,
  type SampleSeries,
} from '../metric-catalog.js';
import { round } from '../lib/round.js';

export const metricValueSchema = z.object({
  value: z.number().nullable(),
  /** Samples the value rests on. */
  n: z.number().int(),
  /** For rates: how many of the n samples counted (detected, flagged, valid, errored). */
  count: z.number().int().optional(),
});

/** Metrics added after the first reports and baselines, besides the scores. */
const METRICS_ADDED_LATER = new Set<MetricName>(['truncatedRatePct', 'serverTokensPerSecond']);

// Score metrics and later metrics are absent from older files: they read as unmeasured.
export const metricsSchema = z.object(
  Object.fromEntries(
    METRIC_NAMES.map((name) => [
      name,
      scoreOf(name) || METRICS_ADDED_LATER.has(name)
        ? metricValueSchema.default({ value: null, n: 0 })
        : metricValueSchema,
    ]),
  ) as Record<MetricName, typeof metricValueSchema>,
);

/** More calls of one scenario than any run makes (warm runs are at most 1,000, retries a few each). */
export const MAX_SCENARIO_CALLS = 100_000;
const callCount = z.number().int().min(0).max(MAX_SCENARIO_CALLS);

export const scenarioOutcomeSchema = z
  .object({
    scenario: z.string().max(200),
    category: z.string().max(200),
    /** flagged-items suites only; null for suites scored against ground truth. */
    anomaly: z.boolean().nullable(),
    runs: callCount,
    detected: callCount,
    flagged: callCount,
    jsonValid: callCount,
    schemaValid: callCount,
    errors: callCount,
    /** Answers cut off at max-tokens before they were JSON (absent in older baselines: none counted). */
    truncated: callCount.optional(),
    /** Attempts, retried ones included, and how many failed (absent in older baselines: runs and errors). */
    attempts: callCount.optional(),
    attemptErrors: callCount.optional(),
    /** Sum of each score over the runs (errors score 0) and how many runs it was taken on. */
    scores: z
      .record(z.string().max(200), z.object({ sum: z.number().min(0), n: callCount }))
      .transform((scores) => keyedRecord(scores))
      .optional(),
    /** The score that decides whether the scenario passes, and the mean it must reach. */
    primaryScore: z.object({ name: z.string().max(200), threshold: z.number().min(0).max(1) }).optional(),
  })
  .check((context) => {
    const outcome = context.value;
    const overRuns = (['detected', 'flagged', 'jsonValid', 'schemaValid', 'errors', 'truncated'] as const).filter(
      (field) => (outcome[field] ?? 0) > outcome.runs,
    );
    for (const field of overRuns)
      context.issues.push({
        code: 'custom',
        input: outcome,
        path: [field],
        message: `${field} ${outcome[field]} is more than the scenario's ${outcome.runs} runs`,
      });
    if (
      (outcome.attemptErrors ?? 0) > (outcome.attempts ?? outcome.runs) ||
      (outcome.attempts ?? outcome.runs) < outcome.runs
    )
      context.issues.push({
        code: 'custom',
        input: outcome,
        path: ['attempts'],
        message: `attempts ${outcome.attempts} and attemptErrors ${outcome.attemptErrors} do not fit ${outcome.runs} runs`,
      });
    for (const [name, score] of Object.entries(outcome.scores ?? {}))
      if (score.sum > score.n || score.n > outcome.runs)
        context.issues.push({
          code: 'custom',
          input: outcome,
          path: ['scores', name],
          message: `score ${name} sums to ${score.sum} over ${score.n} runs, which no scores from 0 to 1 over ${outcome.runs} runs can`,
        });
  });

export const targetMeasurementSchema = z.object({
  metrics: metricsSchema,
  categories: z.record(z.string(), metricsSchema),
  scenarios: z.array(scenarioOutcomeSchema),
  coldStart: z
    .object({ scenario: z.string(), errorClass: z.string().nullable(), errorMessage: z.string().nullable() })
    .nullable(),
});

export type MetricValue = z.infer<typeof metricValueSchema>;
export type Metrics = z.infer<typeof metricsSchema>;
export type ScenarioOutcome = z.infer<typeof scenarioOutcomeSchema>;
export type TargetMeasurement = z.infer<typeof targetMeasurementSchema>;

function rate(count: number, n: number): MetricValue {
  return { value: n === 0 ? null : (count / n) * 100, n, count };
}

const STATISTIC = {
  mean: (sorted: number[]) => mean(sorted),
  p50: (sorted: number[]) => quantileSorted(sorted, 0.5),
  p95: (sorted: number[]) => quantileSorted(sorted, 0.95),
} as const;

function stat(values: number[], compute: (sorted: number[]) => number): MetricValue {
  if (values.length === 0) return { value: null, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { value: compute(sorted), n: values.length };
}

/** An answer the server cut off at max-tokens before it was JSON: a truncation, not a format failure. */
export const isTruncated = (sample: Pick<Sample, 'errorClass' | 'finishReason' | 'jsonValid'>): boolean =>
  sample.errorClass === null && sample.finishReason === 'length' && !sample.jsonValid;

/** Whether a call is among those a rate is taken over (of), its attempt aside. */
function inRate(sample: Sample, of: OutcomeRate['of']): boolean {
  if (of === 'attempts') return true;
  if (sample.retried) return false;
  if (of === 'runs') return true;
  return sample.errorClass === null && (of === 'answered' || !isTruncated(sample));
}

/** The warm calls a rate is taken over, and whether each counts (see OutcomeRate). */
function rateCalls(samples: readonly Sample[], definition: OutcomeRate): Sample[] {
  const calls = samples.filter((sample) => sample.phase === 'warm' && inRate(sample, definition.of));
  if (definition.scenarios === 'all') return calls;
  return calls.filter((sample) => sample.anomaly === (definition.scenarios === 'anomalies'));
}

const callCounts = (sample: Sample, counting: OutcomeRate['counting']): boolean =>
  counting === 'errors'
    ? sample.errorClass !== null
    : counting === 'truncated'
      ? isTruncated(sample)
      : sample[counting];

/** A scenario's count and total for an outcome rate, from its recorded counts; null where the rate does not apply to it. */
export function outcomeRateCounts(o: ScenarioOutcome, rate: OutcomeRate): { count: number; total: number } | null {
  if (rate.scenarios !== 'all' && o.anomaly !== (rate.scenarios === 'anomalies')) return null;
  if (rate.of === 'attempts')
    return {
      count: rate.counting === 'errors' ? (o.attemptErrors ?? o.errors) : (o[rate.counting] ?? 0),
      total: o.attempts ?? o.runs,
    };
  const totals = { runs: o.runs, answered: o.runs - o.errors, complete: o.runs - o.errors - (o.truncated ?? 0) };
  return { count: o[rate.counting] ?? 0, total: totals[rate.of] };
}

/** One metric of a set of samples, as the catalog defines it, unrounded. */
export function measureMetric(name: MetricName, samples: readonly Sample[]): MetricValue {
  const measure = METRICS[name].measure;
  if ('rate' in measure) {
    const calls = rateCalls(samples, measure.rate);
    return rate(calls.filter((sample) => callCounts(sample, measure.rate.counting)).length, calls.length);
  }
  if ('score' in measure) {
    const values = samples
      .filter((sample) => sample.phase === 'warm' && !sample.retried)
      .map((sample) => sample.scores[measure.score])
      .filter((value): value is number => value !== undefined);
    if (values.length === 0) return { value: null, n: 0 };
    const total = values.reduce((sum, value) => sum + value, 0);
    return {
      value: (total / values.length) * 100,
      n: values.length,
      ...(measure.binary ? { count: Math.round(total) } : {}),
    };
  }
  if ('coldStart' in measure) {
    const cold = samples.find((sample) => sample.phase === 'cold' && sample.errorClass === null && !sample.retried);
    return cold ? { value: cold.latencyMs, n: 1 } : { value: null, n: 0 };
  }
  // Latency figures rest on the calls timed at the latency concurrency only.
  const field = SAMPLE_SERIES[measure.series];
  const values = samples
    .filter((sample) => sample.phase === 'warm' && !sample.retried && sample.errorClass === null && sample.timed)
    .map((sample) => sample[field])
    .filter((value): value is number => value !== null);
  return stat(values, STATISTIC[measure.statistic]);
}

export function computeMetrics(samples: readonly Sample[]): Metrics {
  return Object.fromEntries(
    METRIC_NAMES.map((name) => {
      const metric = measureMetric(name, samples);
      return [name, metric.value === null ? metric : { ...metric, value: round(metric.value) }];
    }),
  ) as Metrics;
}

/** What a baseline run keeps of its calls: per-scenario counts, per-scenario series, the cold start. */
export interface RecordedRun {
  scenarios: readonly ScenarioOutcome[];
  series: Record<SampleSeries, Record<string, number[]>>;
  coldStartMs: number | null;
}

function recordedRate(definition: OutcomeRate, scenarios: readonly ScenarioOutcome[]): MetricValue {
  let count = 0;
  let total = 0;
  for (const outcome of scenarios) {
    const counts = outcomeRateCounts(outcome, definition);
    if (!counts) continue;
    count += counts.count;
    total += counts.total;
  }
  return rate(count, total);
}

/**
 * The metrics a run's counts and series give, as computeMetrics gives them from the calls: a baseline's
 * displayed metrics must be these, or the file says one thing in its tables and another to the tests.
 */
export function recordedMetrics(run: RecordedRun): Metrics {
  return Object.fromEntries(
    METRIC_NAMES.map((name) => {
      const measure = METRICS[name].measure;
      let metric: MetricValue;
      if ('rate' in measure) metric = recordedRate(measure.rate, run.scenarios);
      else if ('score' in measure) {
        const entries = run.scenarios.flatMap((outcome) => {
          const entry = outcome.scores?.[measure.score];
          return entry ? [entry] : [];
        });
        const n = entries.reduce((sum, entry) => sum + entry.n, 0);
        const total = entries.reduce((sum, entry) => sum + entry.sum, 0);
        metric = n === 0 ? { value: null, n: 0 } : { value: (total / n) * 100, n };
      } else if ('coldStart' in measure)
        metric = run.coldStartMs === null ? { value: null, n: 0 } : { value: run.coldStartMs, n: 1 };
      else metric = stat(Object.values(run.series[measure.series]).flat(), STATISTIC[measure.statistic]);
      return [name, metric.value === null ? metric : { ...metric, value: round(metric.value) }];
    }),
  ) as Metrics;
}

export type ScenarioRef = {
  id: string;
  category: string;
  anomaly: boolean | null;
  primaryScore?: { name: string; threshold: number };
};

/** Warm outcome counts per scenario, in the suite's order. */
export function scenarioOutcomes(samples: readonly Sample[], scenarioOrder: readonly ScenarioRef[]): ScenarioOutcome[] {
  return scenarioOrder.map((scenario): ScenarioOutcome => {
    const attempts = samples.filter((sample) => sample.scenario === scenario.id && sample.phase === 'warm');
    const runs = attempts.filter((sample) => !sample.retried);
    const scores = keyedRecord<{ sum: number; n: number }>();
    for (const sample of runs) {
      for (const [name, value] of Object.entries(sample.scores)) {
        const entry = (scores[name] ??= { sum: 0, n: 0 });
        entry.sum += value;
        entry.n += 1;
      }
    }
    return {
      scenario: scenario.id,
      category: scenario.category,
      anomaly: scenario.anomaly,
      runs: runs.length,
      detected: runs.filter((sample) => sample.detected).length,
      flagged: runs.filter((sample) => sample.flagged).length,
      jsonValid: runs.filter((sample) => sample.jsonValid).length,
      schemaValid: runs.filter((sample) => sample.schemaValid).length,
      errors: runs.filter((sample) => sample.errorClass !== null).length,
      truncated: runs.filter(isTruncated).length,
      attempts: attempts.length,
      attemptErrors: attempts.filter((sample) => sample.errorClass !== null).length,
      ...(Object.keys(scores).length > 0 ? { scores } : {}),
      ...(scenario.primaryScore ? { primaryScore: scenario.primaryScore } : {}),
    };
  });
}

export function measureTarget(samples: readonly Sample[], scenarioOrder: readonly ScenarioRef[]): TargetMeasurement {
  const categories: Record<string, Metrics> = {};
  for (const category of [...new Set(scenarioOrder.map((scenario) => scenario.category))]) {
    categories[category] = computeMetrics(samples.filter((sample) => sample.category === category));
  }
  const coldSample = samples.find((sample) => sample.phase === 'cold');
  return {
    metrics: computeMetrics(samples),
    categories,
    scenarios: scenarioOutcomes(samples, scenarioOrder),
    coldStart: coldSample
      ? { scenario: coldSample.scenario, errorClass: coldSample.errorClass, errorMessage: coldSample.errorMessage }
      : null,
  };
}

const primaryMean = (outcome: ScenarioOutcome) => {
  const entry = outcome.primaryScore ? outcome.scores?.[outcome.primaryScore.name] : undefined;
  return entry && entry.n > 0 ? entry.sum / entry.n : null;
};

/**
 * A scenario passes when most of its runs do: anomalies detected, clean screens left unflagged, calls
 * answered; in suites scored against ground truth, when its primary score's mean reaches its threshold.
 */
export function scenarioPasses(outcome: ScenarioOutcome): boolean {
  const answered = outcome.runs - outcome.errors;
  if (outcome.errors * 2 >= outcome.runs) return false;
  if (outcome.anomaly === null) return (primaryMean(outcome) ?? 0) >= (outcome.primaryScore?.threshold ?? 1);
  return outcome.anomaly ? outcome.detected * 2 > outcome.runs : outcome.flagged * 2 < answered;
}

/** Why a scenario fails, in words, or [] when it passes. */
export function scenarioProblems(outcome: ScenarioOutcome): string[] {
  const problems: string[] = [];
  const answered = outcome.runs - outcome.errors;
  if (outcome.errors > 0) problems.push(`${outcome.errors} of ${outcome.runs} calls failed`);
  if (outcome.anomaly === true && outcome.detected * 2 <= outcome.runs)
    problems.push(`the planted anomaly was detected in ${outcome.detected} of ${outcome.runs} runs`);
  if (outcome.anomaly === false && outcome.flagged * 2 >= answered && answered > 0)
    problems.push(`the clean screen was flagged in ${outcome.flagged} of ${answered} answers`);
  const primary = primaryMean(outcome);
  if (
    outcome.anomaly === null &&
    outcome.primaryScore &&
    primary !== null &&
    primary < outcome.primaryScore.threshold
  ) {
    problems.push(
      `${outcome.primaryScore.name} averaged ${Math.round(primary * 100)} %, under the ${Math.round(outcome.primaryScore.threshold * 100)} % a pass needs`,
    );
  }
  if (outcome.jsonValid < answered)
    problems.push(`${answered - outcome.jsonValid} of ${answered} answers were not valid JSON`);
  return scenarioPasses(outcome) ? [] : problems;
}
