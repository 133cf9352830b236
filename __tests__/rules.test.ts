// The decision rule on hand-made data: what regresses, what is noise, and how confirmation works.
import { describe, expect, it, jest } from '@jest/globals';
import type { BaselineRun } from '../src/gate/baseline.js';
import {
  decideMetrics,
  minimumDetectable,
  pairedRateDetectable,
  decideWithConfirmation,
  scenariosOfMetric,
  confirmable,
  type CurrentRun,
  type MetricVerdict,
  type TargetComparison,
} from '../src/gate/rules.js';
import { computeMetrics, scenarioOutcomes } from '../src/measure/metrics.js';
import type { Sample } from '../src/run/sample.js';
import { sampleWith } from './helpers/samples.js';

const SCENARIOS = Array.from({ length: 20 }, (_, index) => ({ id: `s${index}`, anomaly: index < 10 }));

function samplesFor(
  detectedOf: (scenario: number, run: number) => boolean,
  latencyMs: (scenario: number, run: number) => number,
  runs = 3,
): Sample[] {
  const samples: Sample[] = [];
  for (let run = 1; run <= runs; run += 1) {
    SCENARIOS.forEach(({ id, anomaly }, index) => {
      const detected = anomaly && detectedOf(index, run);
      samples.push(
        sampleWith({
          scenario: id,
          category: anomaly ? 'a' : 'c',
          anomaly,
          run,
          latencyMs: latencyMs(index, run),
          ttftMs: 50,
          outputTokens: 30,
          outputTokensPerSecond: 40,
          flagged: detected,
          detected,
        }),
      );
    });
  }
  return samples;
}

const outcomes = (samples: Sample[]) =>
  scenarioOutcomes(
    samples,
    SCENARIOS.map(({ id, anomaly }) => ({ id, anomaly, category: anomaly ? 'a' : 'c' })),
  );

function current(samples: Sample[]): CurrentRun {
  return { scenarios: outcomes(samples), samples, metrics: computeMetrics(samples) };
}

function baselineRun(samples: Sample[], index: number): BaselineRun {
  const series: Record<string, number[]> = {};
  for (const sample of samples) (series[sample.scenario] ??= []).push(sample.latencyMs);
  const metrics = computeMetrics(samples);
  return {
    runId: `b${index}`,
    createdAt: '',
    toolVersion: 'test',
    model: 'm',
    serverVersion: null,
    scenarios: outcomes(samples),
    warmLatencyMs: series,
    ttftMs: Object.fromEntries(Object.entries(series).map(([id, values]) => [id, values.map(() => 50)])),
    outputTokensPerSecond: {},
    serverTokensPerSecond: {},
    interTokenMeanMs: {},
    interTokenP95Ms: {},
    coldStartMs: null,
    metrics: Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, value.value])),
  };
}

// Latency: a fixed per-scenario level with ±2 % of run-to-run wobble.
const steady = (scale: number) => (scenario: number, run: number) =>
  (500 + 40 * scenario) * scale * (1 + 0.02 * Math.sin(scenario * 7 + run * 3));
const baselineRuns = [0, 1, 2].map((index) =>
  baselineRun(
    samplesFor(() => true, steady(1 + 0.01 * index)),
    index,
  ),
);

describe('decision rule', () => {
  it('an unchanged run is within noise on every gated metric', () => {
    const verdicts = decideMetrics(
      [{ target: 't', runs: baselineRuns, current: current(samplesFor(() => true, steady(1))) }],
      {},
      0.01,
    );
    expect(verdicts.filter((verdict) => verdict.status === 'regressed')).toEqual([]);
    expect(verdicts.find((verdict) => verdict.metric === 'detectionRatePct')).toMatchObject({
      status: 'within-noise',
      baseline: 100,
      current: 100,
      change: 0,
    });
  });

  it('a large, consistent slowdown regresses; the same change under a wider margin does not', () => {
    const slow = current(samplesFor(() => true, steady(1.6)));
    const [latency] = decideMetrics([{ target: 't', runs: baselineRuns, current: slow }], {}, 0.01).filter(
      (verdict) => verdict.metric === 'warmLatencyP50Ms',
    );
    expect(latency).toMatchObject({ status: 'regressed', changeUnit: '%', margin: 10 });
    // 1.6 against baselines at 1.00, 1.01 and 1.02 (geometric mean ≈ 1.01): +58.4 %.
    expect(latency!.change!).toBeCloseTo(58.4, 0);
    const relaxed = decideMetrics(
      [{ target: 't', runs: baselineRuns, current: slow }],
      { warmLatencyP50Ms: { margin: 80, enabled: true } },
      0.01,
    );
    expect(relaxed.find((verdict) => verdict.metric === 'warmLatencyP50Ms')!.status).toBe('within-noise');
    const off = decideMetrics(
      [{ target: 't', runs: baselineRuns, current: slow }],
      { warmLatencyP50Ms: { margin: 10, enabled: false } },
      0.01,
    );
    expect(off.find((verdict) => verdict.metric === 'warmLatencyP50Ms')).toMatchObject({
      status: 'not-gated',
      pValue: null,
    });
  });

  it('a baseline run with a failed call still counts toward the run-to-run drift', () => {
    // Runs 6 % apart: their spread, not the prior alone, sets the drift.
    const spread = [1, 1.06, 0.94].map((scale, index) =>
      baselineRun(
        samplesFor(() => true, steady(scale)),
        index,
      ),
    );
    const withoutOneScenario = (run: BaselineRun): BaselineRun => ({
      ...run,
      warmLatencyMs: Object.fromEntries(Object.entries(run.warmLatencyMs).filter(([id]) => id !== 's3')),
    });
    const drift = (runs: BaselineRun[]) => {
      const reason = decideMetrics(
        [{ target: 't', runs, current: current(samplesFor(() => true, steady(1))) }],
        {},
        0.01,
      ).find((verdict) => verdict.metric === 'warmLatencyP50Ms')!.reason;
      const [, sd, counted] = /run-to-run drift SD ([\d.]+) % \((\d+) baseline runs? and a 5 % prior\)/.exec(reason)!;
      return { sd: Number(sd), counted: Number(counted) };
    };
    const complete = drift(spread);
    expect(complete.counted).toBe(3);
    expect(complete.sd).toBeGreaterThan(5);
    const missingOne = drift([spread[0]!, withoutOneScenario(spread[1]!), spread[2]!]);
    expect(missingOne.counted).toBe(3);
    expect(missingOne.sd).toBeCloseTo(complete.sd, 0);
    // A run that measured under 90 % of the scenarios was cut short: it does not count.
    const cutShort = { ...spread[1]!, warmLatencyMs: { s0: spread[1]!.warmLatencyMs.s0! } };
    expect(drift([spread[0]!, cutShort, spread[2]!]).counted).toBe(2);
  });

  it('a p95 is reported, not gated, below 60 samples a side', () => {
    const fewer = [
      baselineRun(
        samplesFor(() => true, steady(1), 2),
        0,
      ),
    ];
    const verdicts = decideMetrics(
      [{ target: 't', runs: fewer, current: current(samplesFor(() => true, steady(1), 2)) }],
      {},
      0.01,
    );
    expect(verdicts.find((verdict) => verdict.metric === 'warmLatencyP95Ms')).toMatchObject({ status: 'not-gated' });
  });
});

describe('confirmation runs', () => {
  // Errors are the server's, call by call, so more calls are more evidence. One scenario fails in two
  // of three runs and another in one: 3 of 60 calls against 0 of 180, +5 points, beyond the 3-point
  // margin; exact stratified p = 3/66 × 1/4 ≈ 0.011, not significant at stage one.
  const failing = (samples: Sample[]) =>
    samples.map((sample) =>
      (sample.scenario === 's10' && sample.run % 3 !== 0) || (sample.scenario === 's11' && sample.run % 3 === 1)
        ? { ...sample, errorClass: 'http-503', jsonValid: false, schemaValid: false, flagged: false }
        : sample,
    );
  const first = current(failing(samplesFor(() => true, steady(1))));
  const comparison: TargetComparison = { target: 't', runs: baselineRuns, current: first };

  it('re-runs the scenarios of a suspicious metric and decides on all samples', async () => {
    const stageOne = decideMetrics([comparison], {}, 0.005).find((verdict) => verdict.metric === 'errorRatePct')!;
    expect(stageOne).toMatchObject({ status: 'inconclusive', suspicious: true });
    expect(stageOne.reason).toMatch(
      /^worse by more than the margin but not significant \(this run could only see a change of [\d.]+ points or more\)/,
    );

    const confirm = jest.fn(() => {
      const more = failing(samplesFor(() => true, steady(1), 6)).map((sample) => ({ ...sample, run: sample.run + 3 }));
      return Promise.resolve([{ ...comparison, current: current([...first.samples, ...more]) }]);
    });
    const verdicts = await decideWithConfirmation([comparison], {}, 0.01, confirm);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect((confirm.mock.calls[0] as unknown[])[0]).toEqual([
      expect.objectContaining({ metric: 'errorRatePct', suspicious: true }),
    ]);
    const errors = verdicts.find((verdict) => verdict.metric === 'errorRatePct')!;
    expect(errors.status).toBe('regressed');
    expect(errors.reason).toMatch(/^confirmed with more samples: worse by more than the margin and significant/);
    // Stage two: the confirmable metrics' reserved halves, alpha/2 over each metric tested in stage
    // one, shared by the two that can reject there (errors, and p50 at p = 1).
    const gated = decideMetrics([comparison], {}, 0.005).filter((verdict) => verdict.pValue !== null).length;
    expect(errors.threshold).toBeCloseTo(((0.01 / 2 / gated) * 2) / 2, 12);
  });

  it('gives a quality metric, which cannot be confirmed, its whole share in stage one', async () => {
    // Every anomaly missed: ten scenarios turned, enough for the sign test to take part (0.5^10 ≈ 0.001).
    const missing = current(samplesFor(() => false, steady(1)));
    const verdicts = await decideWithConfirmation(
      [{ target: 't', runs: baselineRuns, current: missing }],
      {},
      0.01,
      () => Promise.reject(new Error('nothing to confirm')),
    );
    const tested = verdicts.filter((verdict) => verdict.pValue !== null);
    const detection = tested.find((verdict) => verdict.metric === 'detectionRatePct')!;
    // Stage one spends alpha less the confirmable metrics' reserved halves, shared by weight over the
    // tests that can reject: a quality metric weighs 1, a confirmable one 0.5. Detection has the
    // smallest p, so it comes first and faces its whole share, not the half a confirmable one spends.
    // Warm p50 here is nearly all drift (2 % wobble per call against the 5 % drift prior): more calls
    // could not sharpen it, so it keeps no half either.
    const reserves = (verdict: MetricVerdict) => confirmable(verdict.metric) && verdict.metric !== 'warmLatencyP50Ms';
    const reserved = tested.filter(reserves).length;
    const stageOne = (0.01 * (tested.length - reserved / 2)) / tested.length;
    const inFamily = tested.filter((verdict) => !/took no share/.test(verdict.reason));
    const weights = inFamily.reduce((sum, verdict) => sum + (reserves(verdict) ? 0.5 : 1), 0);
    expect(inFamily.map((verdict) => verdict.metric)).toEqual([
      'detectionRatePct',
      'warmLatencyP50Ms',
      'warmLatencyP95Ms',
    ]);
    expect(detection.threshold).toBeCloseTo((stageOne * 1) / weights, 12);
    expect(detection.status).toBe('regressed');
  });

  it('keeps no share for confirming a latency level that is nearly all drift; a noisy one keeps half', async () => {
    const confirmedMetrics = async (latencyMs: (scenario: number, run: number) => number, scale: number) => {
      const runs = [0, 1, 2].map((index) =>
        baselineRun(
          samplesFor(
            () => true,
            (scenario, run) => latencyMs(scenario, run) * (1 + 0.01 * index),
          ),
          index,
        ),
      );
      const slower = current(
        samplesFor(
          () => true,
          (scenario, run) => latencyMs(scenario, run) * scale,
        ),
      );
      const confirm = jest.fn<(suspicious: readonly MetricVerdict[]) => Promise<TargetComparison[]>>(() =>
        Promise.resolve([{ target: 't', runs, current: slower }]),
      );
      const verdicts = await decideWithConfirmation([{ target: 't', runs, current: slower }], {}, 0.01, confirm);
      const asked = confirm.mock.calls.flatMap(([suspicious]) => suspicious.map((verdict) => verdict.metric));
      return { asked, p50: verdicts.find((verdict) => verdict.metric === 'warmLatencyP50Ms')! };
    };
    // 12 % slower, 2 % wobble per call: beyond the 10 % margin, not significant against a 5 % drift,
    // and doubling the calls would leave the drift as it is. No confirmation is asked for.
    const steadyRun = await confirmedMetrics(steady(1), 1.12);
    expect(steadyRun.p50).toMatchObject({ status: 'inconclusive', suspicious: false });
    expect(steadyRun.asked).not.toContain('warmLatencyP50Ms');
    // The same slowdown with ±80 % per call: sampling is much of the uncertainty, more calls help.
    const noisy = (scenario: number, run: number) =>
      (500 + 40 * scenario) * Math.exp(0.8 * Math.sin(scenario * 12.9898 + run * 78.233));
    const noisyRun = await confirmedMetrics(noisy, 1.12);
    expect(noisyRun.asked).toContain('warmLatencyP50Ms');
  });

  it('leaves out of the family a test that could not reject whatever its outcome, and shares its alpha', () => {
    // Unchanged: no anomaly turned, no clean screen flagged, every answer JSON, no error. Those exact
    // tests have nothing to move (their smallest possible p is 1); only latency can reject.
    const verdicts = decideMetrics(
      [{ target: 't', runs: baselineRuns, current: current(samplesFor(() => true, steady(1))) }],
      {},
      0.01,
    );
    const tested = verdicts.filter((verdict) => verdict.pValue !== null);
    const leftOut = tested.filter((verdict) => /took no share/.test(verdict.reason));
    expect(leftOut.map((verdict) => verdict.metric).sort()).toEqual(
      ['detectionRatePct', 'errorRatePct', 'falsePositiveRatePct', 'jsonValidRatePct', 'truncatedRatePct'].sort(),
    );
    for (const verdict of leftOut) {
      expect(verdict.status).toBe('within-noise');
      expect(verdict.reason).toMatch(/the smallest possible p is 1\b/);
    }
    // The two latency tests share alpha between them: 0.005 each, not 0.01 / 7.
    const p50 = tested.find((verdict) => verdict.metric === 'warmLatencyP50Ms')!;
    const p95 = tested.find((verdict) => verdict.metric === 'warmLatencyP95Ms')!;
    expect(Math.min(p50.threshold!, p95.threshold!)).toBeCloseTo(0.005, 12);
    // A left-out test states the level it would have had beside the others, and what it could see there.
    const detection = leftOut.find((verdict) => verdict.metric === 'detectionRatePct')!;
    expect(detection.threshold).toBeCloseTo(0.01 / 3, 12);
    expect(detection.detectable).toBe(pairedRateDetectable(10, 0, 5, 0.01 / 3));
  });

  it('shares alpha by relative weights only: equal small weights decide as equal weights of one', () => {
    const missing = current(samplesFor((scenario) => scenario >= 1, steady(1.3)));
    const decide = (weight: number) =>
      decideMetrics([{ target: 't', runs: baselineRuns, current: missing }], {}, 0.01, undefined, () => weight);
    const [whole, halves] = [decide(1), decide(0.1)];
    const shown = (verdicts: MetricVerdict[]) =>
      verdicts.map(({ threshold, detectable, status }) => ({
        threshold: threshold?.toPrecision(10),
        detectable,
        status,
      }));
    expect(shown(halves)).toEqual(shown(whole));
    expect(whole.some((verdict) => verdict.detectable !== null)).toBe(true);
  });

  it('never confirms a quality metric: the same scenarios asked again are no new evidence', () => {
    // Two of ten anomaly scenarios missed in two of three runs: counted once each, 8 of 10 against 10 of 10.
    const missing = current(samplesFor((scenario, run) => scenario >= 2 || run === 1, steady(1)));
    const detection = decideMetrics([{ target: 't', runs: baselineRuns, current: missing }], {}, 0.005).find(
      (verdict) => verdict.metric === 'detectionRatePct',
    )!;
    expect(detection).toMatchObject({
      status: 'inconclusive',
      suspicious: false,
      change: -20,
      basis: '8/10 scenarios',
    });
    // Two turned scenarios cannot reach any level (0.5² = 0.25), so detection takes no share; at the
    // share it would have had beside the two latency tests, 0.005 / 3, only all ten turning would show.
    expect(detection.reason).toMatch(/took no share/);
    expect(detection.detectable).toBe(100);
  });

  it('never "confirms" a cold start: a confirmation pass has no cold call', async () => {
    // Beyond the 25 % margin against a noisy history, but not significant: suspicious.
    const coldHistory = baselineRuns.map((run, index) => ({ ...run, coldStartMs: [4000, 5000, 6200][index]! }));
    const samples = samplesFor(() => true, steady(1));
    const withCold: CurrentRun = {
      ...current(samples),
      metrics: { ...computeMetrics(samples), coldStartMs: { value: 7000, n: 1 } },
    };
    const confirm = jest.fn(() => Promise.resolve([{ target: 't', runs: coldHistory, current: withCold }]));
    const verdicts = await decideWithConfirmation(
      [{ target: 't', runs: coldHistory, current: withCold }],
      {},
      0.01,
      confirm,
    );
    const cold = verdicts.find((verdict) => verdict.metric === 'coldStartMs')!;
    expect(cold).toMatchObject({ status: 'inconclusive', suspicious: true });
    expect(cold.change).toBeGreaterThan(25);
    expect(cold.reason).not.toMatch(/^confirmed/);
    expect(confirm).not.toHaveBeenCalled();
  });

  it('the scenarios re-run are chosen by the metric, never by outcome', () => {
    expect(scenariosOfMetric('detectionRatePct', SCENARIOS)).toEqual(
      SCENARIOS.filter((s) => s.anomaly).map((s) => s.id),
    );
    expect(scenariosOfMetric('falsePositiveRatePct', SCENARIOS)).toEqual(
      SCENARIOS.filter((s) => !s.anomaly).map((s) => s.id),
    );
    expect(scenariosOfMetric('warmLatencyP50Ms', SCENARIOS)).toHaveLength(20);
  });

  it('without confirmation, decides once at the full alpha', async () => {
    const verdicts = await decideWithConfirmation([comparison], {}, 0.01, null);
    expect(verdicts.find((verdict) => verdict.metric === 'detectionRatePct')!.status).not.toBe('regressed');
  });
});

describe('what a run could have detected', () => {
  it('the minimum detectable change: beyond the margin and significant, 9 runs in 10 (worked example)', () => {
    // z(0.975) = 1.95996, z(0.9) = 1.28155. With a standard error of 4 points and a 5-point margin:
    // (1.95996 + 1.28155) × 4 = 12.966, above 5 + 1.28155 × 4 = 10.126.
    expect(minimumDetectable(4, 5, 0.025)).toBeCloseTo(12.966, 2);
    // With a standard error of 1 point the margin dominates: 5 + 1.28155 = 6.282.
    expect(minimumDetectable(1, 5, 0.025)).toBeCloseTo(6.282, 2);
    // A critical value from elsewhere (a t quantile) takes the normal one's place.
    expect(minimumDetectable(2, 0, 0.025, 2.5)).toBeCloseTo((2.5 + 1.28155) * 2, 3);
  });

  it('the minimum detectable change of a quality rate, with the scenario as the unit (worked examples)', () => {
    // 240 scenarios, none flipping by chance, alpha 0.01: 0.5^7 ≤ 0.01 makes 7 one-way flips
    // significant, but 5 points of 240 scenarios is 12 flips, so the margin asks for 13: 5.4 points.
    expect(pairedRateDetectable(240, 0, 5, 0.01)).toBe(5.4);
    // Without a margin, 7 flips of 120 scenarios: 5.8 points.
    expect(pairedRateDetectable(120, 0, 0, 0.01)).toBe(5.8);
    // Two scenarios that flip at random (0, 1 or 2 of them for the better, with chances ¼, ½, ¼): the
    // sign test needs 5, 9 and 12 extra flips for the worse in those cases; 90 % power takes all
    // three, so 12 of 100 scenarios: 12 points.
    expect(pairedRateDetectable(100, 2, 0, 0.01)).toBe(12);
    // Ten scenarios at alpha 0.0005 cannot show anything: 0.5^10 ≈ 0.001.
    expect(pairedRateDetectable(10, 0, 0, 0.0005)).toBeNull();
  });

  it("every tested metric states what it could detect, and a rate's follows from its counts", () => {
    const verdicts = decideMetrics(
      [{ target: 't', runs: baselineRuns, current: current(samplesFor(() => true, steady(1))) }],
      {},
      0.01,
    );
    const tested = verdicts.filter((verdict) => verdict.pValue !== null);
    expect(tested.length).toBeGreaterThan(3);
    for (const verdict of tested) expect(verdict.detectable).toBeGreaterThan(verdict.margin);
    // Detection: 10 anomaly scenarios, each counted once on both sides, none flipped.
    const detection = tested.find((verdict) => verdict.metric === 'detectionRatePct')!;
    expect(detection.basis).toBe('10/10 scenarios');
    expect(detection.detectable).toBe(pairedRateDetectable(10, 0, 5, detection.threshold!));
  });
});
