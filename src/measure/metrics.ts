// Samples → metrics, each with the counts or sample sizes behind it. Quality rates come from the
// warm calls (every scenario the same number of times); the cold call gives the cold start alone.
import { mean, median, quantileSorted } from 'simple-statistics';
import { z } from 'zod';
import type { Sample } from '../run/sample.js';

export const METRIC_INFO = {
  detectionRatePct: { label: 'Detection rate', unit: '%', better: 'higher' },
  falsePositiveRatePct: { label: 'False-positive rate', unit: '%', better: 'lower' },
  jsonValidRatePct: { label: 'JSON valid', unit: '%', better: 'higher' },
  schemaValidRatePct: { label: 'Schema valid', unit: '%', better: 'higher' },
  errorRatePct: { label: 'Errors', unit: '%', better: 'lower' },
  coldStartMs: { label: 'Cold start', unit: 'ms', better: 'lower' },
  warmLatencyMeanMs: { label: 'Warm latency mean', unit: 'ms', better: 'lower' },
  warmLatencyP50Ms: { label: 'Warm latency p50', unit: 'ms', better: 'lower' },
  warmLatencyP95Ms: { label: 'Warm latency p95', unit: 'ms', better: 'lower' },
  ttftP50Ms: { label: 'Time to first token p50', unit: 'ms', better: 'lower' },
  ttftP95Ms: { label: 'Time to first token p95', unit: 'ms', better: 'lower' },
  outputTokensPerSecond: { label: 'Output tokens/s (median)', unit: 'tok/s', better: 'higher' },
  interTokenMeanMs: { label: 'Inter-token latency mean (median of calls)', unit: 'ms', better: 'lower' },
  interTokenP95Ms: { label: 'Inter-token latency p95 (median of calls)', unit: 'ms', better: 'lower' },
  ocrJaccardPct: { label: 'OCR word similarity (Jaccard)', unit: '%', better: 'higher' },
  ocrRecallPct: { label: 'OCR word recall', unit: '%', better: 'higher' },
  entityRecallPct: { label: 'Entity recall', unit: '%', better: 'higher' },
  entityPrecisionPct: { label: 'Entity precision', unit: '%', better: 'higher' },
  relationRecallPct: { label: 'Relation recall', unit: '%', better: 'higher' },
  toolAccuracyPct: { label: 'Tool routing accuracy', unit: '%', better: 'higher' },
  argumentMatchPct: { label: 'Argument match', unit: '%', better: 'higher' },
  keywordMatchPct: { label: 'Keyword match', unit: '%', better: 'higher' },
  coordinateHitPct: { label: 'Coordinate hits', unit: '%', better: 'higher' },
  formatAdherencePct: { label: 'Format adherence', unit: '%', better: 'higher' },
} as const;

/**
 * Metrics that are the mean of one per-answer score (0 to 1) of the suite's scorer, as a percent.
 * Binary scores (a tool is right or wrong) are proportions with counts; the others are fractions.
 */
export const SCORE_METRICS = {
  ocrJaccardPct: { score: 'ocrJaccard', binary: false },
  ocrRecallPct: { score: 'ocrRecall', binary: false },
  entityRecallPct: { score: 'entityRecall', binary: false },
  entityPrecisionPct: { score: 'entityPrecision', binary: false },
  relationRecallPct: { score: 'relationRecall', binary: false },
  toolAccuracyPct: { score: 'toolAccuracy', binary: true },
  argumentMatchPct: { score: 'argumentMatch', binary: false },
  keywordMatchPct: { score: 'keywordMatch', binary: false },
  coordinateHitPct: { score: 'coordinateHit', binary: false },
  formatAdherencePct: { score: 'formatAdherence', binary: true },
} as const;
export type ScoreMetricName = keyof typeof SCORE_METRICS;
export const SCORE_METRIC_NAMES = Object.keys(SCORE_METRICS) as ScoreMetricName[];
export const isScoreMetric = (name: string): name is ScoreMetricName => name in SCORE_METRICS;

export type MetricName = keyof typeof METRIC_INFO;
export const METRIC_NAMES = Object.keys(METRIC_INFO) as MetricName[];

export const metricValueSchema = z.object({
  value: z.number().nullable(),
  /** Samples the value rests on. */
  n: z.number().int(),
  /** For rates: how many of the n samples counted (detected, flagged, valid, errored). */
  count: z.number().int().optional(),
});

// Score metrics came after the first baselines: absent from older files, they read as unmeasured.
export const metricsSchema = z.object(
  Object.fromEntries(
    METRIC_NAMES.map((name) => [
      name,
      isScoreMetric(name) ? metricValueSchema.default({ value: null, n: 0 }) : metricValueSchema,
    ]),
  ) as Record<MetricName, typeof metricValueSchema>,
);

export const scenarioOutcomeSchema = z.object({
  scenario: z.string(),
  category: z.string(),
  /** flagged-items suites only; null for suites scored against ground truth. */
  anomaly: z.boolean().nullable(),
  runs: z.number().int(),
  detected: z.number().int(),
  flagged: z.number().int(),
  jsonValid: z.number().int(),
  schemaValid: z.number().int(),
  errors: z.number().int(),
  /** Attempts, retried ones included, and how many failed (absent in older baselines: runs and errors). */
  attempts: z.number().int().optional(),
  attemptErrors: z.number().int().optional(),
  /** Sum of each score over the runs (errors score 0) and how many runs it was taken on. */
  scores: z.record(z.string(), z.object({ sum: z.number(), n: z.number().int() })).optional(),
  /** The score that decides whether the scenario passes, and the mean it must reach. */
  primaryScore: z.object({ name: z.string(), threshold: z.number() }).optional(),
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

const round = (value: number) => Math.round(value * 100) / 100;

function rate(count: number, n: number): MetricValue {
  return { value: n === 0 ? null : round((count / n) * 100), n, count };
}

function stat(values: number[], compute: (sorted: number[]) => number): MetricValue {
  if (values.length === 0) return { value: null, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { value: round(compute(sorted)), n: values.length };
}

export function computeMetrics(samples: readonly Sample[]): Metrics {
  // Every warm attempt counts in the error rate; an attempt that was retried says nothing else.
  const attempts = samples.filter((sample) => sample.phase === 'warm');
  const warm = attempts.filter((sample) => !sample.retried);
  const answered = warm.filter((sample) => sample.errorClass === null);
  const anomalies = warm.filter((sample) => sample.anomaly === true);
  const cleanAnswered = answered.filter((sample) => sample.anomaly === false);
  const cold = samples.find((sample) => sample.phase === 'cold' && sample.errorClass === null && !sample.retried);
  // Latency figures rest on the calls timed at the latency concurrency only.
  const timed = answered.filter((sample) => sample.timed);
  const latencies = timed.map((sample) => sample.latencyMs);
  const ttfts = timed.map((sample) => sample.ttftMs).filter((value): value is number => value !== null);
  const speeds = timed.map((sample) => sample.outputTokensPerSecond).filter((value): value is number => value !== null);
  const interTokenMeans = timed
    .map((sample) => sample.interTokenMeanMs)
    .filter((value): value is number => value !== null);
  const interTokenP95s = timed
    .map((sample) => sample.interTokenP95Ms)
    .filter((value): value is number => value !== null);
  const count = (list: readonly Sample[], predicate: (sample: Sample) => boolean) => list.filter(predicate).length;

  return {
    // A failed call is a missed anomaly: the gate asks whether the setup still spots what it must.
    detectionRatePct: rate(
      count(anomalies, (sample) => sample.detected),
      anomalies.length,
    ),
    // An error cannot show a false alarm, so false positives count answered clean screens only.
    falsePositiveRatePct: rate(
      count(cleanAnswered, (sample) => sample.flagged),
      cleanAnswered.length,
    ),
    jsonValidRatePct: rate(
      count(answered, (sample) => sample.jsonValid),
      answered.length,
    ),
    schemaValidRatePct: rate(
      count(answered, (sample) => sample.schemaValid),
      answered.length,
    ),
    errorRatePct: rate(
      count(attempts, (sample) => sample.errorClass !== null),
      attempts.length,
    ),
    coldStartMs: cold ? { value: cold.latencyMs, n: 1 } : { value: null, n: 0 },
    warmLatencyMeanMs: stat(latencies, (sorted) => mean(sorted)),
    warmLatencyP50Ms: stat(latencies, (sorted) => quantileSorted(sorted, 0.5)),
    warmLatencyP95Ms: stat(latencies, (sorted) => quantileSorted(sorted, 0.95)),
    ttftP50Ms: stat(ttfts, (sorted) => quantileSorted(sorted, 0.5)),
    ttftP95Ms: stat(ttfts, (sorted) => quantileSorted(sorted, 0.95)),
    outputTokensPerSecond: stat(speeds, (sorted) => median(sorted)),
    interTokenMeanMs: stat(interTokenMeans, (sorted) => median(sorted)),
    interTokenP95Ms: stat(interTokenP95s, (sorted) => median(sorted)),
    ...scoreMetrics(warm),
  };
}

function scoreMetrics(warm: readonly Sample[]): Record<ScoreMetricName, MetricValue> {
  const entries = SCORE_METRIC_NAMES.map((name): [ScoreMetricName, MetricValue] => {
    const { score, binary } = SCORE_METRICS[name];
    const values = warm.map((sample) => sample.scores[score]).filter((value): value is number => value !== undefined);
    if (values.length === 0) return [name, { value: null, n: 0 }];
    const total = values.reduce((sum, value) => sum + value, 0);
    return [
      name,
      {
        value: round((total / values.length) * 100),
        n: values.length,
        ...(binary ? { count: Math.round(total) } : {}),
      },
    ];
  });
  return Object.fromEntries(entries) as Record<ScoreMetricName, MetricValue>;
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
    const scores: Record<string, { sum: number; n: number }> = {};
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
