// A versus B in one run: two targets answered the same scenarios, interleaved, so each scenario is a
// pair. Per scenario: do the two agree (pass or fail alike)? Per metric: each side's value and the
// paired difference over scenarios with its 95 % t-interval (scenarios are the units; the runs of a
// scenario are too alike to count as independent). Optionally, how alike the answers read
// (cosine similarity of embeddings), and what each side costs, with the break-even volume.
import { mean } from 'simple-statistics';
import { z } from 'zod';
import { studentTQuantile } from '../lib/statistics.js';
import { callOutcome, isProblem } from '../measure/call-outcome.js';
import { measureMetric, type Metrics } from '../measure/metrics.js';
import { METRIC_NAMES, METRICS, type MetricName } from '../metric-catalog.js';
import type { Sample } from '../run/sample.js';
import type { Scenario } from '../suite/schema.js';
import { breakEvenSchema, type BreakEven } from './cost.js';
import { round } from '../lib/round.js';

export const pairedMetricSchema = z.object({
  metric: z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]),
  target: z.number().nullable(),
  reference: z.number().nullable(),
  /** Target minus reference: points for rates and scores, percent for latency. */
  difference: z.number().nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  unit: z.enum(['points', '%']),
  /** Scenarios measured on both sides (the pairs the interval rests on). */
  scenarios: z.number().int(),
});

export const comparisonSchema = z.object({
  target: z.string(),
  reference: z.string(),
  /** Answers taken side by side (same scenario, same run) where both sides answered. */
  pairs: z.number().int(),
  /** Share of those pairs where both passed or both failed. */
  agreementPct: z.number().nullable(),
  scenarios: z.array(
    z.object({
      scenario: z.string(),
      category: z.string(),
      agreementPct: z.number().nullable(),
      targetPassPct: z.number().nullable(),
      referencePassPct: z.number().nullable(),
      /** Mean cosine similarity of the two sides' answers, when an embeddings endpoint is configured. */
      similarity: z.number().nullable(),
    }),
  ),
  metrics: z.array(pairedMetricSchema),
  similarity: z
    .object({ model: z.string(), mean: z.number().nullable(), pairs: z.number().int(), error: z.string().nullable() })
    .nullable(),
  breakEven: breakEvenSchema.nullable(),
});
export type Comparison = z.infer<typeof comparisonSchema>;
export type PairedMetric = z.infer<typeof pairedMetricSchema>;

/** Whether one answer passes its scenario: the anomaly detected, the clean screen left alone, the primary score reached. */
export const answerPasses = (sample: Sample, scenario: Pick<Scenario, 'anomaly' | 'primaryScore'>): boolean =>
  !isProblem(callOutcome(sample, scenario));

/** One value per scenario for a metric, or undefined where the scenario does not measure it. */
function scenarioValue(metric: MetricName, samples: readonly Sample[]): number | undefined {
  return measureMetric(metric, samples).value ?? undefined;
}

/** The paired difference over scenarios, target minus reference, with its 95 % t-interval. */
export function pairedDifference(
  metric: MetricName,
  target: ReadonlyMap<string, Sample[]>,
  reference: ReadonlyMap<string, Sample[]>,
): { difference: number | null; interval: [number, number] | null; scenarios: number } {
  const logScale = METRICS[metric].paired === '%';
  const differences: number[] = [];
  for (const [scenario, samples] of target) {
    const a = scenarioValue(metric, samples);
    const b = scenarioValue(metric, reference.get(scenario) ?? []);
    if (a === undefined || b === undefined) continue;
    differences.push(logScale ? Math.log(a / b) : a - b);
  }
  if (differences.length === 0) return { difference: null, interval: null, scenarios: 0 };
  const centre = mean(differences);
  const asShown = (value: number) => round(logScale ? (Math.exp(value) - 1) * 100 : value, 1);
  if (differences.length < 2) return { difference: asShown(centre), interval: null, scenarios: 1 };
  const sd = Math.sqrt(differences.reduce((sum, value) => sum + (value - centre) ** 2, 0) / (differences.length - 1));
  const spread = studentTQuantile(0.975, differences.length - 1) * (sd / Math.sqrt(differences.length));
  return {
    difference: asShown(centre),
    interval: [asShown(centre - spread), asShown(centre + spread)],
    scenarios: differences.length,
  };
}

const byScenario = (samples: readonly Sample[]) => {
  const map = new Map<string, Sample[]>();
  for (const sample of samples) {
    const list = map.get(sample.scenario) ?? [];
    if (list.length === 0) map.set(sample.scenario, list);
    list.push(sample);
  }
  return map;
};

export interface ComparisonInput {
  target: { name: string; samples: readonly Sample[]; metrics: Metrics };
  reference: { name: string; samples: readonly Sample[]; metrics: Metrics };
  scenarios: readonly Scenario[];
  /** Cosine similarity of the two answers of each pair, keyed scenario#run, when embeddings were asked for. */
  similarity?: { model: string; byPair: ReadonlyMap<string, number>; error: string | null };
  breakEven?: BreakEven;
}

export const pairKey = (sample: Pick<Sample, 'scenario' | 'run'>) => `${sample.scenario}#${sample.run}`;

export function compareTargets(input: ComparisonInput): Comparison {
  const settled = (samples: readonly Sample[]) =>
    samples.filter((sample) => sample.phase === 'warm' && !sample.retried);
  const targetRuns = new Map(settled(input.target.samples).map((sample) => [pairKey(sample), sample]));
  const referenceRuns = new Map(settled(input.reference.samples).map((sample) => [pairKey(sample), sample]));
  let pairs = 0;
  let agreeing = 0;
  const scenarios = input.scenarios.map((scenario) => {
    let scenarioPairs = 0;
    let scenarioAgreeing = 0;
    let targetPasses = 0;
    let referencePasses = 0;
    let targetRunsSeen = 0;
    let referenceRunsSeen = 0;
    const similarities: number[] = [];
    for (const [key, a] of targetRuns) {
      if (a.scenario !== scenario.id) continue;
      targetRunsSeen += 1;
      if (answerPasses(a, scenario)) targetPasses += 1;
      const b = referenceRuns.get(key);
      if (!b || a.errorClass !== null || b.errorClass !== null) continue;
      scenarioPairs += 1;
      if (answerPasses(a, scenario) === answerPasses(b, scenario)) scenarioAgreeing += 1;
      const similarity = input.similarity?.byPair.get(key);
      if (similarity !== undefined) similarities.push(similarity);
    }
    for (const b of referenceRuns.values()) {
      if (b.scenario !== scenario.id) continue;
      referenceRunsSeen += 1;
      if (answerPasses(b, scenario)) referencePasses += 1;
    }
    pairs += scenarioPairs;
    agreeing += scenarioAgreeing;
    const pct = (count: number, total: number) => (total === 0 ? null : round((count / total) * 100, 1));
    return {
      scenario: scenario.id,
      category: scenario.category,
      agreementPct: pct(scenarioAgreeing, scenarioPairs),
      targetPassPct: pct(targetPasses, targetRunsSeen),
      referencePassPct: pct(referencePasses, referenceRunsSeen),
      similarity: similarities.length === 0 ? null : round(mean(similarities), 3),
    };
  });

  const targetByScenario = byScenario(input.target.samples);
  const referenceByScenario = byScenario(input.reference.samples);
  // The suite's own quality metrics first, then the general ones, each in catalog order.
  const pairedMetrics = METRIC_NAMES.filter((metric) => METRICS[metric].paired);
  const compared = [
    ...pairedMetrics.filter((metric) => METRICS[metric].suiteSpecific),
    ...pairedMetrics.filter((metric) => !METRICS[metric].suiteSpecific),
  ].filter((metric) => input.target.metrics[metric].n > 0 && input.reference.metrics[metric].n > 0);
  const metrics = compared.map((metric): PairedMetric => ({
    metric,
    target: input.target.metrics[metric].value,
    reference: input.reference.metrics[metric].value,
    unit: METRICS[metric].paired === '%' ? '%' : 'points',
    ...pairedDifference(metric, targetByScenario, referenceByScenario),
  }));
  const allSimilarities = [...(input.similarity?.byPair.values() ?? [])];
  return {
    target: input.target.name,
    reference: input.reference.name,
    pairs,
    agreementPct: pairs === 0 ? null : round((agreeing / pairs) * 100, 1),
    scenarios,
    metrics,
    similarity: input.similarity
      ? {
          model: input.similarity.model,
          mean: allSimilarities.length === 0 ? null : round(mean(allSimilarities), 3),
          pairs: allSimilarities.length,
          error: input.similarity.error,
        }
      : null,
    breakEven: input.breakEven ?? null,
  };
}
