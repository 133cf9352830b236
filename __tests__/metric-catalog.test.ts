// The metric catalog is the one home of a metric: every table the stages use is derived from it,
// so adding a metric is one entry. Shown here by adding one and finding it everywhere.
import { describe, expect, it, jest } from '@jest/globals';
import * as catalog from '../src/metric-catalog.js';
import { sampleWith } from './helpers/samples.js';

const { METRICS, METRIC_NAMES } = catalog;

describe('the metric catalog', () => {
  it('every table of the stages has exactly the catalog’s metrics', async () => {
    const { DEFAULT_GATE_RULES } = await import('../src/gate/rules.js');
    const { computeMetrics, metricsSchema } = await import('../src/measure/metrics.js');
    const { thresholdsSchema } = await import('../src/config/schema.js');
    const { INPUTS } = await import('../src/inputs.js');
    expect(Object.keys(DEFAULT_GATE_RULES)).toEqual(METRIC_NAMES);
    expect(Object.keys(computeMetrics([sampleWith({})]))).toEqual(METRIC_NAMES);
    expect(Object.keys(metricsSchema.shape)).toEqual(METRIC_NAMES);
    const thresholdNames = METRIC_NAMES.flatMap((name) => {
      const threshold = catalog.metricEntry(name).threshold;
      return threshold ? [threshold.name] : [];
    });
    expect(Object.keys(thresholdsSchema.shape)).toEqual(thresholdNames);
    expect(INPUTS.filter((input) => input.group === 'thresholds').map((input) => input.name)).toEqual(thresholdNames);
    for (const name of METRIC_NAMES) {
      const { gate } = METRICS[name];
      expect(DEFAULT_GATE_RULES[name]).toEqual({ margin: gate.margin, enabled: gate.gatedByDefault });
    }
  });

  it('a metric added as one entry is measured, gated, thresholded, documented and paired', async () => {
    // One new entry: the mean time to first token, gated like the median, with a ceiling input.
    const ttftMeanMs = {
      label: 'Time to first token mean',
      shortLabel: 'mean time to first token',
      description: 'mean time from the request leaving to the first token arriving',
      unit: 'ms',
      better: 'lower',
      suiteSpecific: false,
      measure: { series: 'ttftMs', statistic: 'mean' },
      gate: { test: 'location', margin: 10, gatedByDefault: true },
      threshold: { name: 'max-ttft-mean-ms', bound: 'max' },
      paired: '%',
    } satisfies catalog.MetricEntry;
    const extended = { ...METRICS, ttftMeanMs } as unknown as Record<catalog.MetricName, catalog.MetricEntry>;
    jest.resetModules();
    jest.unstable_mockModule('../src/metric-catalog.js', () => ({
      ...catalog,
      METRICS: extended,
      ...catalog.deriveCatalog(extended),
    }));
    const added = 'ttftMeanMs' as catalog.MetricName;
    const { computeMetrics } = await import('../src/measure/metrics.js');
    const { DEFAULT_GATE_RULES, decideMetrics } = await import('../src/gate/rules.js');
    const { thresholdsSchema } = await import('../src/config/schema.js');
    const { checkThresholds } = await import('../src/gate/thresholds.js');
    const { INPUTS } = await import('../src/inputs.js');
    const { compareTargets } = await import('../src/compare/paired.js');
    const { scenarioOutcomes } = await import('../src/measure/metrics.js');

    // Measured: the mean of the timed calls' time to first token.
    const fast = [10, 20, 30, 40].flatMap((ttftMs, index) =>
      [1, 2, 3].map((run) => sampleWith({ scenario: `s${index}`, run, ttftMs: ttftMs + run })),
    );
    const metrics = computeMetrics(fast);
    expect(metrics[added]).toEqual({ value: 27, n: 12 });

    // Gated by default, with its margin, and tested as a typical value against the baseline.
    expect(DEFAULT_GATE_RULES[added]).toEqual({ margin: 10, enabled: true });
    const slow = fast.map((sample) => ({ ...sample, ttftMs: (sample.ttftMs ?? 0) * 3 }));
    const series = (samples: typeof fast) =>
      Object.fromEntries(
        ['s0', 's1', 's2', 's3'].map((id) => [id, samples.filter((s) => s.scenario === id).map((s) => s.ttftMs ?? 0)]),
      );
    const scenarios = ['s0', 's1', 's2', 's3'].map((id) => ({ id, category: 'c', anomaly: true }));
    const baselineRun = {
      runId: 'b',
      createdAt: '',
      toolVersion: '',
      model: 'm',
      serverVersion: null,
      scenarios: scenarioOutcomes(fast, scenarios),
      warmLatencyMs: series(fast),
      ttftMs: series(fast),
      outputTokensPerSecond: {},
      serverTokensPerSecond: {},
      interTokenMeanMs: {},
      interTokenP95Ms: {},
      coldStartMs: null,
      metrics: Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, value.value])),
    };
    const verdicts = decideMetrics(
      [
        {
          target: 't',
          runs: [baselineRun],
          current: { scenarios: scenarioOutcomes(slow, scenarios), samples: slow, metrics: computeMetrics(slow) },
        },
      ],
      {},
      0.01,
    );
    expect(verdicts.find((verdict) => verdict.metric === added)).toMatchObject({
      status: 'regressed',
      changeUnit: '%',
    });

    // A ceiling input of its own, in the config schema, the checks and the action's inputs.
    expect(thresholdsSchema.parse({ 'max-ttft-mean-ms': 20 })).toEqual({ 'max-ttft-mean-ms': 20 });
    expect(checkThresholds('t', metrics, { 'max-ttft-mean-ms': 20 } as never)).toEqual([
      expect.objectContaining({ threshold: 'max-ttft-mean-ms', metric: added, passed: false }),
    ]);
    expect(INPUTS.find((input) => input.name === 'max-ttft-mean-ms')).toMatchObject({
      group: 'thresholds',
      flag: { value: 'MS' },
    });

    // Paired in A versus B, in percent.
    const comparison = compareTargets({
      target: { name: 'a', samples: slow, metrics: computeMetrics(slow) },
      reference: { name: 'b', samples: fast, metrics },
      scenarios: scenarios.map((scenario) => ({ ...scenario, primaryScore: null })) as never,
    });
    expect(comparison.metrics.find((entry) => entry.metric === added)).toMatchObject({ unit: '%', difference: 200 });
  });
});
