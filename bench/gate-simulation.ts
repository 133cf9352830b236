// Measures the gate itself: how often it fails a run where nothing changed (A/A), and how often it
// catches injected regressions, next to github-action-benchmark's 200 % ratio rule and a naive
// "any drop beyond 5 points / 10 %" rule, all on the same simulated runs. The gate's own decision
// code (src/gate/rules.ts) is what runs. Run: npm run bench:gate [-- --quick]
import { seededRandom } from './support/seeded-random.js';
import { DEFAULT_GATE_RULES, decideWithConfirmation, scenariosOfMetric, type CurrentRun } from '../src/gate/rules.js';
import type { BaselineRun } from '../src/gate/baseline.js';
import { computeMetrics, scenarioOutcomes } from '../src/measure/metrics.js';
import type { MetricName } from '../src/metric-catalog.js';
import type { Sample } from '../src/run/sample.js';

const quick = process.argv.includes('--quick');
// The default size gets the full 10,000 A/A runs; the other sizes fewer, to finish in minutes.
const AA_RUNS = quick ? 1000 : 10_000;
const POWER_RUNS = quick ? 200 : 1000;
const SIDE_AA_RUNS = quick ? 500 : 2000;
const SIDE_POWER_RUNS = quick ? 100 : 500;
const ALPHA = 0.01;

// ---- A seeded world -------------------------------------------------------------------------
const random = seededRandom(20261123);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const uniform = (lo: number, hi: number) => lo + (hi - lo) * random();
const logit = (p: number) => Math.log(p / (1 - p));
const expit = (x: number) => 1 / (1 + Math.exp(-x));

interface Size {
  label: string;
  anomalyScenarios: number;
  cleanScenarios: number;
  warmRuns: number;
  baselineRuns: number;
  /** SD of a job's log latency level: 3 % on the same self-hosted runner, more across runners. */
  driftSd: number;
}

interface World {
  detect: number[];
  falseFlag: number[];
  jsonValid: number[];
  latencyMs: number[];
  ttftMs: number[];
  errorRate: number;
  coldMs: number;
}

/** Each simulated world is a different suite and model: scenario difficulty varies a lot. */
function drawWorld(size: Size): World {
  const scenarios = size.anomalyScenarios + size.cleanScenarios;
  return {
    // Most anomalies are seen almost always, some sometimes, a few rarely (mean ≈ 0.85).
    detect: Array.from({ length: size.anomalyScenarios }, () => {
      const r = random();
      return r < 0.7 ? 0.97 : r < 0.9 ? uniform(0.6, 0.95) : uniform(0.1, 0.5);
    }),
    falseFlag: Array.from({ length: size.cleanScenarios }, () => (random() < 0.8 ? 0.02 : uniform(0.05, 0.3))),
    jsonValid: Array.from({ length: scenarios }, () => (random() < 0.9 ? 0.995 : 0.9)),
    latencyMs: Array.from({ length: scenarios }, () => 800 * Math.exp(0.4 * gaussian())),
    ttftMs: Array.from({ length: scenarios }, () => 150 * Math.exp(0.2 * gaussian())),
    errorRate: 0.01,
    coldMs: 8000,
  };
}

/** Shifts probabilities on the logit scale so that their mean moves by `points`. */
function shiftMean(probabilities: number[], points: number): number[] {
  const target = probabilities.reduce((a, b) => a + b, 0) / probabilities.length + points / 100;
  let lo = -20;
  let hi = 20;
  for (let i = 0; i < 60; i += 1) {
    const mid = (lo + hi) / 2;
    const m = probabilities.reduce((sum, p) => sum + expit(logit(p) + mid), 0) / probabilities.length;
    if (m < target) lo = mid;
    else hi = mid;
  }
  return probabilities.map((p) => expit(logit(p) + (lo + hi) / 2));
}

interface Change {
  name: string;
  metric: MetricName | null;
  apply: (world: World) => World;
}

const CHANGES: Change[] = [
  { name: 'no change (A/A)', metric: null, apply: (w) => w },
  {
    name: 'warm latency +15 %',
    metric: 'warmLatencyP50Ms',
    apply: (w) => ({ ...w, latencyMs: w.latencyMs.map((v) => v * 1.15) }),
  },
  {
    name: 'warm latency +25 %',
    metric: 'warmLatencyP50Ms',
    apply: (w) => ({ ...w, latencyMs: w.latencyMs.map((v) => v * 1.25) }),
  },
  {
    name: 'detection −10 points',
    metric: 'detectionRatePct',
    apply: (w) => ({ ...w, detect: shiftMean(w.detect, -10) }),
  },
  {
    name: 'detection −15 points',
    metric: 'detectionRatePct',
    apply: (w) => ({ ...w, detect: shiftMean(w.detect, -15) }),
  },
  { name: 'errors +5 points', metric: 'errorRatePct', apply: (w) => ({ ...w, errorRate: w.errorRate + 0.05 }) },
  {
    name: 'JSON validity −10 points',
    metric: 'jsonValidRatePct',
    apply: (w) => ({ ...w, jsonValid: shiftMean(w.jsonValid, -10) }),
  },
];

/** One job's calls: per-call noise, and a drift that moves the whole job (another runner, a warmer GPU). */
function simulateRun(world: World, size: Size, drift = Math.exp(size.driftSd * gaussian())): Sample[] {
  const samples: Sample[] = [];
  const scenarios = size.anomalyScenarios + size.cleanScenarios;
  const cold = world.coldMs * drift * Math.exp(0.15 * gaussian());
  samples.push(sample('s0', true, 0, 'cold', cold, 150, { detected: true }));
  for (let run = 1; run <= size.warmRuns; run += 1) {
    for (let s = 0; s < scenarios; s += 1) {
      const anomaly = s < size.anomalyScenarios;
      if (random() < world.errorRate) {
        samples.push(
          sample(`s${s}`, anomaly, run, 'warm', 30_000, null, {
            errorClass: 'timeout',
            jsonValid: false,
            schemaValid: false,
          }),
        );
        continue;
      }
      const jsonValid = random() < world.jsonValid[s]!;
      const flagged = anomaly ? random() < world.detect[s]! : random() < world.falseFlag[s - size.anomalyScenarios]!;
      const latency = world.latencyMs[s]! * drift * Math.exp(0.12 * gaussian());
      const ttft = world.ttftMs[s]! * drift * Math.exp(0.15 * gaussian());
      samples.push(
        sample(`s${s}`, anomaly, run, 'warm', latency, ttft, {
          jsonValid,
          schemaValid: jsonValid,
          flagged: jsonValid && flagged,
          detected: jsonValid && anomaly && flagged,
        }),
      );
    }
  }
  return samples;
}

function sample(
  scenario: string,
  anomaly: boolean,
  run: number,
  phase: Sample['phase'],
  latencyMs: number,
  ttftMs: number | null,
  fields: Partial<Sample>,
): Sample {
  return {
    target: 't',
    scenario,
    category: anomaly ? 'anomaly' : 'clean',
    anomaly,
    run,
    phase,
    attempt: 1,
    retried: false,
    timed: true,
    startedAt: '',
    requestId: null,
    latencyMs,
    ttftMs,
    outputTokens: 30,
    outputTokensSource: 'server',
    outputTokensPerSecond: ttftMs === null ? null : 29_000 / Math.max(1, latencyMs - ttftMs),
    jsonValid: true,
    schemaValid: true,
    flagged: false,
    detected: false,
    matchedKeywords: [],
    scores: {},
    tool: null,
    inputTokens: null,
    finishReason: 'stop',
    interTokenMeanMs: null,
    interTokenP95Ms: null,
    serverTimings: null,
    errorClass: null,
    errorMessage: null,
    excerpt: '',
    ...fields,
  };
}

function scenarioOrder(size: Size) {
  return Array.from({ length: size.anomalyScenarios + size.cleanScenarios }, (_, s) => ({
    id: `s${s}`,
    category: s < size.anomalyScenarios ? 'anomaly' : 'clean',
    anomaly: s < size.anomalyScenarios,
  }));
}

/** Per-scenario outcomes and overall metrics (the category breakdown is not needed here). */
function measure(samples: Sample[], size: Size) {
  return { scenarios: scenarioOutcomes(samples, scenarioOrder(size)), metrics: computeMetrics(samples) };
}

function asBaselineRun(samples: Sample[], size: Size, index: number): BaselineRun {
  const measured = measure(samples, size);
  const series = (pick: (s: Sample) => number | null) => {
    const out: Record<string, number[]> = {};
    for (const s of samples)
      if (s.phase === 'warm' && s.errorClass === null && pick(s) !== null) (out[s.scenario] ??= []).push(pick(s)!);
    return out;
  };
  return {
    runId: String(index),
    createdAt: '',
    toolVersion: 'sim',
    model: 'm',
    serverVersion: null,
    scenarios: measured.scenarios,
    warmLatencyMs: series((s) => s.latencyMs),
    ttftMs: series((s) => s.ttftMs),
    outputTokensPerSecond: series((s) => s.outputTokensPerSecond),
    interTokenMeanMs: {},
    interTokenP95Ms: {},
    coldStartMs: measured.metrics.coldStartMs.value,
    metrics: Object.fromEntries(Object.entries(measured.metrics).map(([k, v]) => [k, v.value])),
  };
}

// ---- The rules compared ---------------------------------------------------------------------
const NAIVE_METRICS: { metric: MetricName; higherIsWorse: boolean; kind: 'rate' | 'time' }[] = [
  { metric: 'detectionRatePct', higherIsWorse: false, kind: 'rate' },
  { metric: 'falsePositiveRatePct', higherIsWorse: true, kind: 'rate' },
  { metric: 'jsonValidRatePct', higherIsWorse: false, kind: 'rate' },
  { metric: 'schemaValidRatePct', higherIsWorse: false, kind: 'rate' },
  { metric: 'errorRatePct', higherIsWorse: true, kind: 'rate' },
  { metric: 'coldStartMs', higherIsWorse: true, kind: 'time' },
  { metric: 'warmLatencyP50Ms', higherIsWorse: true, kind: 'time' },
  { metric: 'warmLatencyP95Ms', higherIsWorse: true, kind: 'time' },
  { metric: 'ttftP50Ms', higherIsWorse: true, kind: 'time' },
  { metric: 'ttftP95Ms', higherIsWorse: true, kind: 'time' },
];

type Rule = (
  baseline: BaselineRun[],
  current: CurrentRun,
  confirm: ConfirmRun,
) => Promise<Set<MetricName>> | Set<MetricName>;
/** More warm runs of some scenarios, in the same job (same drift). */
type ConfirmRun = (scenarioIds: ReadonlySet<string>) => CurrentRun;

const modelGate: Rule = async (runs, current, confirm) => {
  const verdicts = await decideWithConfirmation([{ target: 't', runs, current }], {}, ALPHA, (suspicious) => {
    const ids = new Set(
      suspicious.flatMap((verdict) =>
        scenariosOfMetric(
          verdict.metric,
          current.scenarios.map((o) => ({ id: o.scenario, anomaly: o.anomaly })),
        ),
      ),
    );
    return Promise.resolve([{ target: 't', runs, current: confirm(ids) }]);
  });
  return new Set(verdicts.filter((v) => v.status === 'regressed').map((v) => v.metric));
};

/** github-action-benchmark's default: alert when a value is worse than the last one by 200 %. */
const ratio200: Rule = (runs, current) => {
  const failed = new Set<MetricName>();
  for (const { metric, higherIsWorse } of NAIVE_METRICS) {
    const before = runs[0]!.metrics[metric];
    const now = current.metrics[metric].value;
    if (before == null || now === null) continue;
    const ratio = higherIsWorse ? now / before : before / now;
    if (ratio > 2) failed.add(metric);
  }
  return failed;
};

/** "Any drop beyond 5 points or 10 %" against the last baseline run. */
const naive: Rule = (runs, current) => {
  const failed = new Set<MetricName>();
  for (const { metric, higherIsWorse, kind } of NAIVE_METRICS) {
    const before = runs[0]!.metrics[metric];
    const now = current.metrics[metric].value;
    if (before == null || now === null) continue;
    const worse = higherIsWorse ? now - before : before - now;
    if (kind === 'rate' ? worse > 5 : worse / before > 0.1) failed.add(metric);
  }
  return failed;
};

const RULES: [string, Rule][] = [
  ['model-gate (margin + significance, Holm α = 1 %, confirm-runs)', modelGate],
  ['github-action-benchmark 200 % ratio', ratio200],
  ['naive: worse by > 5 points / > 10 %', naive],
];

async function simulate(size: Size, change: Change, runsCount: number): Promise<number[]> {
  const hits = RULES.map(() => 0);
  for (let i = 0; i < runsCount; i += 1) {
    const world = drawWorld(size);
    const baseline = Array.from({ length: size.baselineRuns }, (_, index) =>
      asBaselineRun(simulateRun(world, size), size, index),
    );
    const changed = change.apply(world);
    const drift = Math.exp(size.driftSd * gaussian());
    const samples = simulateRun(changed, size, drift);
    const measured = measure(samples, size);
    const current: CurrentRun = { scenarios: measured.scenarios, samples, metrics: measured.metrics };
    const confirm: ConfirmRun = (ids) => {
      const extra = simulateRun(changed, size, drift)
        .filter((sample) => sample.phase === 'warm' && ids.has(sample.scenario))
        .map((sample) => ({ ...sample, run: sample.run + size.warmRuns }));
      const all = [...samples, ...extra];
      const remeasured = measure(all, size);
      return { scenarios: remeasured.scenarios, samples: all, metrics: remeasured.metrics };
    };
    for (const [index, [, rule]] of RULES.entries()) {
      const failed = await rule(baseline, current, confirm);
      if (change.metric === null ? failed.size > 0 : failed.has(change.metric)) hits[index]! += 1;
    }
  }
  return hits.map((hit) => (hit / runsCount) * 100);
}

const SIZES: Size[] = [
  {
    label:
      'default: 34 anomaly + 33 clean scenarios × 3 warm runs (≈100 rate samples per side), 5 baseline runs, 3 % drift',
    anomalyScenarios: 34,
    cleanScenarios: 33,
    warmRuns: 3,
    baselineRuns: 5,
    driftSd: 0.03,
  },
  {
    label: 'same, with 7 % job-to-job drift (baseline from another runner)',
    anomalyScenarios: 34,
    cleanScenarios: 33,
    warmRuns: 3,
    baselineRuns: 5,
    driftSd: 0.07,
  },
  {
    label: 'same, a first baseline (1 run)',
    anomalyScenarios: 34,
    cleanScenarios: 33,
    warmRuns: 3,
    baselineRuns: 1,
    driftSd: 0.03,
  },
  {
    label: 'built-in safety-checks: 5 anomaly + 4 clean × 3 warm runs, 5 baseline runs, 3 % drift',
    anomalyScenarios: 5,
    cleanScenarios: 4,
    warmRuns: 3,
    baselineRuns: 5,
    driftSd: 0.03,
  },
];

const started = performance.now();
console.log(
  `Gate simulation: % of runs failing (A/A: on any metric; otherwise: on the changed metric). Default size: ${AA_RUNS} A/A runs and ${POWER_RUNS} per change; other sizes: ${SIDE_AA_RUNS} and ${SIDE_POWER_RUNS}.`,
);
console.log(
  'Noise model: per-scenario rates drawn per run of the simulation (detection mean ≈ 85 %, most scenarios near 0 or 1);',
);
console.log(
  'latency lognormal per scenario, 12 % per-call noise, a job-to-job drift (per size); errors 1 % per call.\n',
);
for (const [sizeIndex, size] of SIZES.entries()) {
  const [aaRuns, powerRuns] = sizeIndex === 0 ? [AA_RUNS, POWER_RUNS] : [SIDE_AA_RUNS, SIDE_POWER_RUNS];
  console.log(`### ${size.label}\n`);
  console.log(`| Change | ${RULES.map(([name]) => name).join(' | ')} |`);
  console.log(`| --- | ${RULES.map(() => '---:').join(' | ')} |`);
  for (const change of CHANGES) {
    const rates = await simulate(size, change, change.metric === null ? aaRuns : powerRuns);
    console.log(`| ${change.name} | ${rates.map((rate) => `${rate.toFixed(1)} %`).join(' | ')} |`);
  }
  console.log('');
}
console.log(
  `Default margins: ${Object.entries(DEFAULT_GATE_RULES)
    .filter(([, r]) => r.enabled)
    .map(([m, r]) => `${m} ${r.margin}`)
    .join(', ')}. Took ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
