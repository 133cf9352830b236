// The metric catalog: one entry per metric, holding everything a stage needs to know of it. The
// measurement, the gate's tests and default margins, thresholds, config names, report tables and
// A-versus-B pairing are all derived from this table. It imports nothing, so every stage may read it.

/** The latency series a baseline keeps per scenario, and the sample field each is read from. */
export const SAMPLE_SERIES = {
  warmLatencyMs: 'latencyMs',
  ttftMs: 'ttftMs',
  outputTokensPerSecond: 'outputTokensPerSecond',
  serverTokensPerSecond: 'serverTokensPerSecond',
  interTokenMeanMs: 'interTokenMeanMs',
  interTokenP95Ms: 'interTokenP95Ms',
} as const;
export type SampleSeries = keyof typeof SAMPLE_SERIES;
export const SAMPLE_SERIES_NAMES = Object.keys(SAMPLE_SERIES) as SampleSeries[];

/**
 * An outcome rate: of which warm calls (`of`), in which scenarios, how many show `counting`.
 * `runs` are the calls that were not retried, `answered` those of them without an error,
 * `complete` the answers not cut off at max-tokens, and `attempts` every warm call, retried ones
 * included (the error rate counts each attempt).
 */
export interface OutcomeRate {
  of: 'runs' | 'answered' | 'complete' | 'attempts';
  scenarios: 'all' | 'anomalies' | 'clean';
  counting: 'detected' | 'flagged' | 'jsonValid' | 'schemaValid' | 'errors' | 'truncated';
}

/** How a metric is computed from the samples of a run. */
export type Measure =
  | { rate: OutcomeRate }
  /** The mean of one per-answer score (0 to 1) as a percent; a binary score is a proportion with counts. */
  | { score: string; binary: boolean }
  /** A statistic of a per-call series over the calls timed at the latency concurrency. */
  | { series: SampleSeries; statistic: 'mean' | 'p50' | 'p95' }
  | { coldStart: true };

/**
 * How the gate tests a metric against its baseline (gate/rules.ts): exact tests on counts for rates
 * and binary scores, a paired t-test over scenarios for fractional scores, per-scenario log ratios
 * for a typical value (`location`), an exceedance test for a p95 (`tail`), a prediction test
 * against the history for the cold start; `none` is reported only.
 */
export type GateTest = 'rate' | 'score' | 'location' | 'tail' | 'cold-start' | 'none';

export interface MetricEntry {
  label: string;
  /** What it measures, in a phrase (the reference and the threshold inputs' descriptions). */
  description: string;
  /** In sentences ("a −12 point drop in detection"). */
  shortLabel: string;
  unit: '%' | 'ms' | 'tok/s';
  better: 'higher' | 'lower';
  /** Measured by some suites only: shown where measured, and the suite's quality columns. */
  suiteSpecific: boolean;
  measure: Measure;
  gate: {
    test: GateTest;
    /** Points for rates and scores, percent for the rest. */
    margin: number;
    gatedByDefault: boolean;
  };
  /** The absolute threshold input that bounds it (`min-…` or `max-…`). */
  threshold?: { name: string; bound: 'min' | 'max' };
  /** Compared between two targets in A versus B, as a difference in points or in percent. */
  paired?: 'points' | '%';
  /** What a regression of it usually means and the fix, where the label alone does not say. */
  advice?: string;
}

// Generic, so that each entry keeps its literal threshold name (the ThresholdName type below).
const entry = <const E extends Omit<MetricEntry, 'shortLabel'> & { shortLabel?: string }>(
  fields: E,
): E & MetricEntry => ({ ...fields, shortLabel: fields.shortLabel ?? fields.label.toLowerCase() });
const score = (
  label: string,
  description: string,
  name: string,
  binary: boolean,
  margin: number,
  gatedByDefault: boolean,
) =>
  entry({
    description,
    label,
    unit: '%',
    better: 'higher',
    suiteSpecific: true,
    measure: { score: name, binary },
    gate: { test: binary ? 'rate' : 'score', margin, gatedByDefault },
    paired: 'points',
  });

export const METRICS = {
  detectionRatePct: entry({
    description: 'share of planted anomalies the model reported (a failed call is a miss)',
    label: 'Detection rate',
    shortLabel: 'detection',
    unit: '%',
    better: 'higher',
    suiteSpecific: true,
    // A failed call is a missed anomaly: the gate asks whether the setup still spots what it must.
    measure: { rate: { of: 'runs', scenarios: 'anomalies', counting: 'detected' } },
    gate: { test: 'rate', margin: 5, gatedByDefault: true },
    threshold: { name: 'min-detection-rate-pct', bound: 'min' },
    paired: 'points',
  }),
  falsePositiveRatePct: entry({
    description: 'share of answered clean screens the model flagged anyway',
    label: 'False-positive rate',
    shortLabel: 'false positives',
    unit: '%',
    better: 'lower',
    suiteSpecific: true,
    // An error cannot show a false alarm, so false positives count answered clean screens only.
    measure: { rate: { of: 'answered', scenarios: 'clean', counting: 'flagged' } },
    gate: { test: 'rate', margin: 5, gatedByDefault: true },
    threshold: { name: 'max-false-positive-rate-pct', bound: 'max' },
    paired: 'points',
  }),
  jsonValidRatePct: entry({
    description: 'share of the answers not cut off at max-tokens that parse as JSON',
    label: 'JSON valid',
    unit: '%',
    better: 'higher',
    suiteSpecific: false,
    // An answer cut off at max-tokens is counted as truncated, not as bad JSON: the causes and fixes differ.
    measure: { rate: { of: 'complete', scenarios: 'all', counting: 'jsonValid' } },
    gate: { test: 'rate', margin: 5, gatedByDefault: true },
    threshold: { name: 'min-json-valid-rate-pct', bound: 'min' },
    paired: 'points',
  }),
  schemaValidRatePct: entry({
    description: "share of answers that meet the suite's output schema",
    label: 'Schema valid',
    unit: '%',
    better: 'higher',
    suiteSpecific: false,
    measure: { rate: { of: 'answered', scenarios: 'all', counting: 'schemaValid' } },
    gate: { test: 'rate', margin: 5, gatedByDefault: false },
    threshold: { name: 'min-schema-valid-rate-pct', bound: 'min' },
  }),
  truncatedRatePct: entry({
    description: 'share of answers cut off at max-tokens (finish_reason length) before they were complete JSON',
    label: 'Cut off at max-tokens',
    shortLabel: 'answers cut off at max-tokens',
    unit: '%',
    better: 'lower',
    suiteSpecific: false,
    measure: { rate: { of: 'answered', scenarios: 'all', counting: 'truncated' } },
    gate: { test: 'rate', margin: 5, gatedByDefault: true },
    paired: 'points',
    advice:
      "answers the server stopped at max-tokens: raise max-tokens or bound the schema's strings if the longer answers are wanted",
  }),
  errorRatePct: entry({
    description: 'share of calls that failed (timeouts, HTTP errors, broken streams), retried attempts included',
    label: 'Errors',
    unit: '%',
    better: 'lower',
    suiteSpecific: false,
    measure: { rate: { of: 'attempts', scenarios: 'all', counting: 'errors' } },
    gate: { test: 'rate', margin: 3, gatedByDefault: true },
    threshold: { name: 'max-error-rate-pct', bound: 'max' },
    paired: 'points',
  }),
  coldStartMs: entry({
    description: 'latency of the first call, on a server made cold where the kind allows it',
    label: 'Cold start',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { coldStart: true },
    gate: { test: 'cold-start', margin: 25, gatedByDefault: true },
    threshold: { name: 'max-cold-start-ms', bound: 'max' },
  }),
  warmLatencyMeanMs: entry({
    description: 'mean end-to-end latency of the warm calls timed at the latency concurrency',
    label: 'Warm latency mean',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'warmLatencyMs', statistic: 'mean' },
    gate: { test: 'none', margin: 10, gatedByDefault: false },
  }),
  warmLatencyP50Ms: entry({
    description: 'median end-to-end latency of the warm calls timed at the latency concurrency',
    label: 'Warm latency p50',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'warmLatencyMs', statistic: 'p50' },
    gate: { test: 'location', margin: 10, gatedByDefault: true },
    paired: '%',
  }),
  warmLatencyP95Ms: entry({
    description: '95th percentile of the end-to-end latency of the warm calls',
    label: 'Warm latency p95',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'warmLatencyMs', statistic: 'p95' },
    gate: { test: 'tail', margin: 20, gatedByDefault: true },
    threshold: { name: 'max-warm-latency-p95-ms', bound: 'max' },
  }),
  ttftP50Ms: entry({
    description: 'median time from the request leaving to the first token arriving',
    label: 'Time to first token p50',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'ttftMs', statistic: 'p50' },
    gate: { test: 'location', margin: 10, gatedByDefault: false },
    paired: '%',
  }),
  ttftP95Ms: entry({
    description: '95th percentile of the time to first token',
    label: 'Time to first token p95',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'ttftMs', statistic: 'p95' },
    gate: { test: 'tail', margin: 20, gatedByDefault: false },
    threshold: { name: 'max-ttft-p95-ms', bound: 'max' },
  }),
  outputTokensPerSecond: entry({
    description:
      "median decode speed of the warm calls, as the client sees it: the server's token count over the time from the answer's first event to its end",
    label: 'Output tokens/s (median)',
    unit: 'tok/s',
    better: 'higher',
    suiteSpecific: false,
    measure: { series: 'outputTokensPerSecond', statistic: 'p50' },
    gate: { test: 'location', margin: 10, gatedByDefault: false },
  }),
  serverTokensPerSecond: entry({
    description: "median decode speed of the warm calls as the server reports it (llama.cpp's timings, Ollama's eval)",
    label: "Output tokens/s, server's own (median)",
    shortLabel: "the server's own output tokens/s",
    unit: 'tok/s',
    better: 'higher',
    suiteSpecific: false,
    measure: { series: 'serverTokensPerSecond', statistic: 'p50' },
    gate: { test: 'none', margin: 10, gatedByDefault: false },
  }),
  interTokenMeanMs: entry({
    description: 'median over calls of the mean gap between streamed tokens',
    label: 'Inter-token latency mean (median of calls)',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'interTokenMeanMs', statistic: 'p50' },
    gate: { test: 'location', margin: 10, gatedByDefault: false },
  }),
  interTokenP95Ms: entry({
    description: 'median over calls of the 95th percentile gap between streamed tokens',
    label: 'Inter-token latency p95 (median of calls)',
    unit: 'ms',
    better: 'lower',
    suiteSpecific: false,
    measure: { series: 'interTokenP95Ms', statistic: 'p50' },
    gate: { test: 'location', margin: 20, gatedByDefault: false },
  }),
  // Suites scored against ground truth: each gates its primary score and the format; the rest is
  // reported. Listed in the order a per-category table shows them, the primary scores first.
  entityRecallPct: score(
    'Entity recall',
    "share of the slide's entities found, aliases and spacing forgiven",
    'entityRecall',
    false,
    5,
    true,
  ),
  entityPrecisionPct: score(
    'Entity precision',
    'share of the entities named that are on the slide',
    'entityPrecision',
    false,
    5,
    false,
  ),
  relationRecallPct: score(
    'Relation recall',
    "share of the diagram's relations found",
    'relationRecall',
    false,
    10,
    false,
  ),
  ocrRecallPct: score('OCR word recall', "share of the slide's words transcribed", 'ocrRecall', false, 5, false),
  ocrJaccardPct: score(
    'OCR word similarity (Jaccard)',
    'overlap of transcribed and true words (Jaccard)',
    'ocrJaccard',
    false,
    5,
    false,
  ),
  toolAccuracyPct: score(
    'Tool routing accuracy',
    'share of commands routed to the right tool',
    'toolAccuracy',
    true,
    5,
    true,
  ),
  argumentMatchPct: score(
    'Argument match',
    'share of expected tool arguments given right',
    'argumentMatch',
    false,
    5,
    false,
  ),
  keywordMatchPct: score(
    'Keyword match',
    'share of expected keywords present in the answer',
    'keywordMatch',
    false,
    5,
    false,
  ),
  coordinateHitPct: score(
    'Coordinate hits',
    "share of points placed within tolerance of the target's centre",
    'coordinateHit',
    false,
    5,
    true,
  ),
  formatAdherencePct: score(
    'Format adherence',
    'share of answers in the coordinate format asked for',
    'formatAdherence',
    true,
    5,
    true,
  ),
} satisfies Record<string, MetricEntry>;

export type MetricName = keyof typeof METRICS;

/** The threshold inputs (min-detection-rate-pct…), each bounding one metric. */
export type ThresholdName = {
  [K in MetricName]: (typeof METRICS)[K] extends { threshold: { name: infer N } } ? N : never;
}[MetricName];

/**
 * The lists every stage derives from the catalog. A function of the entries, so that a test can
 * derive them for a catalog with one more entry and show where it appears.
 */
export function deriveCatalog(metrics: Record<MetricName, MetricEntry>) {
  const names = Object.keys(metrics) as MetricName[];
  const thresholds = names.flatMap((metric) => {
    const threshold = metrics[metric].threshold;
    return threshold ? [{ name: threshold.name as ThresholdName, bound: threshold.bound, metric }] : [];
  });
  return {
    METRIC_NAMES: names,
    metricEntry: (name: MetricName): MetricEntry => metrics[name],
    /** Metrics that are the mean of a per-answer score. */
    SCORE_METRIC_NAMES: names.filter((name) => 'score' in metrics[name].measure),
    scoreOf: (name: MetricName): { score: string; binary: boolean } | null => {
      const measure = metrics[name].measure;
      return 'score' in measure ? measure : null;
    },
    /** The threshold inputs, in catalog order, and the metric each bounds. */
    THRESHOLDS: thresholds,
    THRESHOLD_NAMES: thresholds.map((threshold) => threshold.name),
  };
}

export const { METRIC_NAMES, metricEntry, SCORE_METRIC_NAMES, scoreOf, THRESHOLDS, THRESHOLD_NAMES } =
  deriveCatalog(METRICS);

/** A metric's name in config files and inputs: detectionRatePct → detection-rate-pct. */
export const metricConfigName = (metric: MetricName) =>
  metric.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
