// Measures the gate itself on every built-in suite at every size, as users run them: how often it
// fails a run where nothing changed (A/A), and how often it catches an injected regression. The
// noise model has the structure of real models: scenarios differ (some always seen, some never,
// some in between), at temperature 0 a scenario's answer is fixed for a model and flips only through
// the change or a small per-call nondeterminism (batched GPU inference), and a change reshuffles some
// scenarios both ways besides its net effect. The gate's own decision code (src/gate/rules.ts) runs.
// Run: npm run bench:gate [-- --quick] [-- --suite safety-checks] [-- --size standard]
//      npm run bench:gate -- --sensitivity   (the default suite's power as the noise varies)
import { seededRandom } from './support/seeded-random.js';
import { sampleWith } from '../__tests__/helpers/samples.js';
import { DEFAULT_GATE_RULES, decideWithConfirmation, scenariosOfMetric, type CurrentRun } from '../src/gate/rules.js';
import { MAX_BASELINE_RUNS, type BaselineRun } from '../src/gate/baseline.js';
import { computeMetrics, scenarioOutcomes } from '../src/measure/metrics.js';
import { METRIC_NAMES, type MetricName } from '../src/metric-catalog.js';
import type { GateRules } from '../src/gate/rules.js';
import type { Sample } from '../src/run/sample.js';
import { builtinSuiteDefinition, builtinSuiteIds, expandDefinition } from '../src/suite/load.js';
import { defaultWarmRuns } from '../src/run/runner.js';
import { SUITE_PRESETS, type SuiteSize } from '../src/suite-sizes.js';
import { defined } from '../src/lib/defined.js';

const quick = process.argv.includes('--quick');
/** The value after a flag, or null: `--suite safety-checks` and `--size standard` measure one row. */
const flagValue = (flag: string) => {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? (process.argv[index + 1] ?? null) : null;
};
const onlySuite = flagValue('--suite');
const onlySize = flagValue('--size');
const AA_RUNS = quick ? 300 : 2000;
const POWER_RUNS = quick ? 100 : 300;
const ALPHA = 0.01;

interface Noise {
  /** Per-call nondeterminism: the chance that one outcome of a call (JSON validity, the flag) differs from the scenario's usual one. */
  nondeterminism: number;
  /** A change of model also reshuffles this share of scenarios both ways, besides its net effect. */
  churn: number;
  /** Job-to-job drift of latency (lognormal sd): every call of a job shares it. */
  driftSd: number;
}
const NOISE: Noise = { nondeterminism: 0.02, churn: 0.05, driftSd: 0.03 };

// ---- A seeded world -------------------------------------------------------------------------
const random = seededRandom(20261130);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

interface Size {
  suite: string;
  preset: string;
  anomalyScenarios: number;
  cleanScenarios: number;
  /** Whether the suite scores flagged items (detection, false positives). */
  flagged: boolean;
  /** Suites scored against ground truth: their primary score, gated in place of detection. */
  primary: { metric: MetricName; score: string } | null;
  warmRuns: number;
}

/** A scenario's fixed difficulty per outcome: a model shows the outcome where difficulty < its level. */
interface World {
  /** Flagged-items suites: per anomaly scenario; other suites: per scenario, for the primary score. */
  detectDifficulty: number[];
  flagDifficulty: number[];
  jsonDifficulty: number[];
  latencyMs: number[];
  ttftMs: number[];
}

interface Model {
  detection: number;
  falseFlags: number;
  jsonValid: number;
  latencyScale: number;
  /** Scenarios whose difficulty this model redraws (another model answers them differently). */
  reshuffled: Set<number>;
}

const BASE_MODEL: Model = {
  detection: 0.85,
  falseFlags: 0.05,
  jsonValid: 0.97,
  latencyScale: 1,
  reshuffled: new Set(),
};

function drawWorld(size: Size): World {
  const scenarios = size.anomalyScenarios + size.cleanScenarios;
  return {
    detectDifficulty: Array.from({ length: size.flagged ? size.anomalyScenarios : scenarios }, () => random()),
    flagDifficulty: Array.from({ length: size.cleanScenarios }, () => random()),
    jsonDifficulty: Array.from({ length: scenarios }, () => random()),
    latencyMs: Array.from({ length: scenarios }, () => 800 * Math.exp(0.4 * gaussian())),
    ttftMs: Array.from({ length: scenarios }, () => 150 * Math.exp(0.2 * gaussian())),
  };
}

interface Change {
  name: string;
  /** The metric that must fail; a function where it depends on the suite. */
  metric: MetricName | null | ((size: Size) => MetricName | null);
  model: (size: Size, noise: Noise) => Model;
  /** Baseline runs it is judged against. */
  baselineRuns: number;
}

/** A changed model: its levels, and a share of the scenarios (churn) answered differently in both directions. */
function changed(size: Size, noise: Noise, fields: Partial<Model>): Model {
  const scenarios = size.anomalyScenarios + size.cleanScenarios;
  const reshuffled = new Set<number>();
  for (let s = 0; s < scenarios; s += 1) if (random() < noise.churn) reshuffled.add(s);
  return { ...BASE_MODEL, ...fields, reshuffled };
}

const CHANGES: Change[] = [
  { name: 'A/A, 1-run baseline', metric: null, model: () => BASE_MODEL, baselineRuns: 1 },
  { name: 'A/A, 3-run baseline', metric: null, model: () => BASE_MODEL, baselineRuns: 3 },
  {
    name: 'detection (or primary score) −10 pts',
    metric: (size) => (size.flagged ? 'detectionRatePct' : (size.primary?.metric ?? null)),
    model: (size, noise) => changed(size, noise, { detection: BASE_MODEL.detection - 0.1 }),
    baselineRuns: 1,
  },
  {
    name: 'false positives +10 pts',
    metric: 'falsePositiveRatePct',
    model: (size, noise) => changed(size, noise, { falseFlags: BASE_MODEL.falseFlags + 0.1 }),
    baselineRuns: 1,
  },
  {
    name: 'JSON validity −10 pts',
    metric: 'jsonValidRatePct',
    model: (size, noise) => changed(size, noise, { jsonValid: BASE_MODEL.jsonValid - 0.1 }),
    baselineRuns: 1,
  },
  {
    name: 'warm p50 +15 %',
    metric: 'warmLatencyP50Ms',
    model: (size, noise) => changed(size, noise, { latencyScale: 1.15 }),
    baselineRuns: 3,
  },
];

/** One job's calls: fixed answers per scenario, rare per-call flips, and a drift that moves the whole job. */
function simulateRun(
  world: World,
  model: Model,
  size: Size,
  noise: Noise,
  drift = Math.exp(noise.driftSd * gaussian()),
  runOffset = 0,
): Sample[] {
  const samples: Sample[] = [];
  const scenarios = size.anomalyScenarios + size.cleanScenarios;
  const difficulty = (s: number, fixed: number) => (model.reshuffled.has(s) ? reshuffledDifficulty(s, fixed) : fixed);
  const shows = (fixed: number, s: number, level: number) =>
    difficulty(s, fixed) < level !== random() < noise.nondeterminism;
  if (runOffset === 0)
    samples.push(sample('s0', true, 0, 'cold', 8000 * drift * Math.exp(0.15 * gaussian()), 150, { detected: true }));
  for (let run = 1; run <= size.warmRuns; run += 1) {
    for (let s = 0; s < scenarios; s += 1) {
      const anomaly = s < size.anomalyScenarios;
      if (random() < 0.005) {
        samples.push(
          sample(`s${s}`, anomaly, runOffset + run, 'warm', 30_000, null, {
            errorClass: 'timeout',
            jsonValid: false,
            schemaValid: false,
          }),
        );
        continue;
      }
      const jsonValid = shows(world.jsonDifficulty[s]!, s, model.jsonValid);
      const scores = size.primary
        ? { [size.primary.score]: jsonValid && shows(world.detectDifficulty[s]!, s, model.detection) ? 1 : 0 }
        : {};
      const flagged = anomaly
        ? shows(world.detectDifficulty[s]!, s, model.detection)
        : shows(world.flagDifficulty[s - size.anomalyScenarios]!, s, model.falseFlags);
      const latency = world.latencyMs[s]! * model.latencyScale * drift * Math.exp(0.12 * gaussian());
      const ttft = world.ttftMs[s]! * model.latencyScale * drift * Math.exp(0.15 * gaussian());
      samples.push(
        sample(`s${s}`, anomaly, runOffset + run, 'warm', latency, ttft, {
          jsonValid,
          schemaValid: jsonValid,
          flagged: size.flagged && jsonValid && flagged,
          detected: size.flagged && jsonValid && anomaly && flagged,
          scores,
        }),
      );
    }
  }
  return samples;
}

/** A reshuffled scenario's difficulty for the changed model: fixed per scenario, unrelated to the old one. */
const reshuffledDifficulty = (s: number, fixed: number) => (fixed * 7919 + s * 0.618034) % 1;

function sample(
  scenario: string,
  anomaly: boolean,
  run: number,
  phase: Sample['phase'],
  latencyMs: number,
  ttftMs: number | null,
  fields: Partial<Sample>,
): Sample {
  return sampleWith({
    scenario,
    category: anomaly ? 'anomaly' : 'clean',
    anomaly,
    run,
    phase,
    latencyMs,
    ttftMs,
    outputTokens: 30,
    outputTokensPerSecond: ttftMs === null ? null : 29_000 / Math.max(1, latencyMs - ttftMs),
    flagged: false,
    detected: false,
    ...fields,
  });
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
    serverTokensPerSecond: {},
    interTokenMeanMs: {},
    interTokenP95Ms: {},
    coldStartMs: measured.metrics.coldStartMs.value,
    metrics: Object.fromEntries(Object.entries(measured.metrics).map(([k, v]) => [k, v.value])),
  };
}

// ---- The gate ------------------------------------------------------------------------------
/** More warm runs of some scenarios, in the same job (same drift). */
type ConfirmRun = (scenarioIds: ReadonlySet<string>) => CurrentRun;

async function modelGate(
  runs: BaselineRun[],
  current: CurrentRun,
  confirm: ConfirmRun,
  rules: GateRules = {},
): Promise<Set<MetricName>> {
  const verdicts = await decideWithConfirmation([{ target: 't', runs, current }], rules, ALPHA, (suspicious) => {
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
}

/** Every metric off but one: that metric alone faces the whole alpha, the most any split could give it. */
const alone = (metric: MetricName): GateRules =>
  Object.fromEntries(METRIC_NAMES.map((name) => [name, { enabled: name === metric }]));

async function simulate(
  size: Size,
  change: Change,
  runsCount: number,
  { rules = {}, noise = NOISE }: { rules?: GateRules; noise?: Noise } = {},
): Promise<number> {
  let hits = 0;
  for (let i = 0; i < runsCount; i += 1) {
    const world = drawWorld(size);
    const baseline = Array.from({ length: change.baselineRuns }, (_, index) =>
      asBaselineRun(simulateRun(world, BASE_MODEL, size, noise), size, index),
    );
    const model = change.model(size, noise);
    const drift = Math.exp(noise.driftSd * gaussian());
    const samples = simulateRun(world, model, size, noise, drift);
    const measured = measure(samples, size);
    const current: CurrentRun = { scenarios: measured.scenarios, samples, metrics: measured.metrics };
    const confirm: ConfirmRun = (ids) => {
      const extra = simulateRun(world, model, size, noise, drift, size.warmRuns).filter(
        (sample) => sample.phase === 'warm' && ids.has(sample.scenario),
      );
      const all = [...samples, ...extra];
      const remeasured = measure(all, size);
      return { scenarios: remeasured.scenarios, samples: all, metrics: remeasured.metrics };
    };
    const failed = await modelGate(baseline, current, confirm, rules);
    const metric = typeof change.metric === 'function' ? change.metric(size) : change.metric;
    if (metric === null ? failed.size > 0 : failed.has(metric)) hits += 1;
  }
  return (hits / runsCount) * 100;
}

/** The score each scorer gates in place of detection (the catalog's primary scores). */
const PRIMARY: Record<string, { metric: MetricName; score: string }> = {
  'tool-call': { metric: 'toolAccuracyPct', score: 'toolAccuracy' },
  coordinates: { metric: 'coordinateHitPct', score: 'coordinateHit' },
  extraction: { metric: 'entityRecallPct', score: 'entityRecall' },
};

/** Sizes between standard and full for the default suite: what a number of scenarios buys. */
const NUMBERED_SIZES: Record<string, number[]> = { 'safety-checks': [450, 600] };

/** Every built-in suite at every preset, with its real scenario counts and default warm runs. */
function sizes(): Size[] {
  const out: Size[] = [];
  for (const suite of builtinSuiteIds()) {
    const { definition } = builtinSuiteDefinition(suite);
    const flagged = definition.scorer.kind === 'flagged-items';
    const primary = PRIMARY[definition.scorer.kind] ?? null;
    let previous = -1;
    const presets: SuiteSize[] = [...SUITE_PRESETS];
    presets.splice(2, 0, ...(NUMBERED_SIZES[suite] ?? []));
    for (const preset of presets) {
      const scenarios = expandDefinition(definition, preset).definition.scenarios;
      if (scenarios.length === previous) continue;
      previous = scenarios.length;
      const anomalies = flagged ? scenarios.filter((scenario) => scenario.anomaly).length : 0;
      out.push({
        suite,
        preset:
          preset === 'smoke' && scenarios.length === scenarioCountAt(definition, 'full')
            ? 'every size'
            : String(preset),
        anomalyScenarios: anomalies,
        cleanScenarios: scenarios.length - anomalies,
        flagged,
        primary,
        warmRuns: defaultWarmRuns(scenarios.length),
      });
    }
  }
  return out;
}
const scenarioCountAt = (definition: ReturnType<typeof builtinSuiteDefinition>['definition'], preset: 'full') =>
  expandDefinition(definition, preset).definition.scenarios.length;

const started = performance.now();
const noiseText = (noise: Noise) =>
  `each outcome of a call (JSON validity, the flag) differs from the scenario's usual one with probability ${noise.nondeterminism}; a changed model also reshuffles ${noise.churn * 100} % of scenarios both ways; latency lognormal per scenario, 12 % per call, ${noise.driftSd * 100} % job drift; 0.5 % errors`;
const changeNamed = (name: string) =>
  defined(
    CHANGES.find((change) => change.name.startsWith(name)),
    name,
  );
const percent = (value: number) => `${value.toFixed(1)} %`;

/** Every suite at every size under the noise model, and the ceiling of the default suite. */
async function suitesTable() {
  console.log(
    `Gate simulation on the built-in suites as users run them (default warm runs, alpha ${ALPHA}, confirm-runs on): % of runs failing — A/A on any metric, otherwise on the changed metric. ${AA_RUNS} A/A runs and ${POWER_RUNS} runs per change, each a fresh world.`,
  );
  console.log(
    `Noise model: scenario difficulties fixed per world; at temperature 0 a scenario's answer is fixed for a model; ${noiseText(NOISE)}.\n`,
  );
  console.log(
    `| Suite | Size | Calls | ${CHANGES.map((change) => change.name + (change.metric ? ` (${change.baselineRuns}-run baseline)` : '')).join(' | ')} |`,
  );
  console.log(`| --- | --- | ---: | ${CHANGES.map(() => '---:').join(' | ')} |`);
  for (const size of sizes()) {
    if ((onlySuite !== null && size.suite !== onlySuite) || (onlySize !== null && size.preset !== onlySize)) continue;
    const scenarios = size.anomalyScenarios + size.cleanScenarios;
    const full = size.preset === 'full';
    const cells: string[] = [];
    for (const change of CHANGES) {
      if (!size.flagged && change.metric === 'falsePositiveRatePct') {
        cells.push('—');
        continue;
      }
      const runs = Math.max(50, Math.round((change.metric === null ? AA_RUNS : POWER_RUNS) / (full ? 4 : 1)));
      cells.push(percent(await simulate(size, change, runs)));
    }
    console.log(
      `| ${size.suite} | ${size.preset === String(scenarios) ? scenarios : `${size.preset} (${scenarios})`} | ${1 + scenarios * size.warmRuns} | ${cells.join(' | ')} |`,
    );
  }
  // The ceiling: the same changes with their metric tested alone, so that it faces the whole alpha.
  // No split of alpha among metrics can give one more; what this misses, the size cannot see.
  if ((onlySuite === null || onlySuite === 'safety-checks') && (onlySize === null || onlySize === 'standard')) {
    const size = defaultSuiteAtStandard();
    const cells: string[] = [];
    for (const change of CHANGES) {
      const metric = typeof change.metric === 'function' ? change.metric(size) : change.metric;
      if (metric === null) continue;
      cells.push(percent(await simulate(size, change, POWER_RUNS, { rules: alone(metric) })));
    }
    console.log(
      `\nCeiling at safety-checks standard: each change's metric tested alone, facing the whole alpha ${ALPHA} (no other metric gated): ${CHANGES.filter(
        (change) => change.metric !== null,
      )
        .map((change, index) => `${change.name} ${cells[index] ?? ''}`)
        .join('; ')}.`,
    );
  }
}

const defaultSuiteAtStandard = () =>
  defined(
    sizes().find((size) => size.suite === 'safety-checks' && size.preset === 'standard'),
    'safety-checks at standard',
  );

/**
 * The default suite at its default size, the gate as shipped, as the noise varies: how deterministic
 * a server must be, and how steady a runner, for the targets to be within reach of 300 calls.
 */
async function sensitivityTables() {
  const size = defaultSuiteAtStandard();
  console.log(
    `Sensitivity of the gate on safety-checks at standard (${size.anomalyScenarios + size.cleanScenarios} scenarios, ${1 + (size.anomalyScenarios + size.cleanScenarios) * size.warmRuns} calls, alpha ${ALPHA}, every metric gated as shipped): % of runs failing. ${AA_RUNS} A/A runs and ${POWER_RUNS} runs per change, each a fresh world. Otherwise as the noise model: ${noiseText(NOISE)}.\n`,
  );
  const quality = ['detection', 'false positives', 'JSON validity'].map(changeNamed);
  console.log(
    `| Per-call nondeterminism | Churn | A/A (1-run baseline) | ${quality.map((change) => change.name).join(' | ')} |`,
  );
  console.log(`| ---: | ---: | ---: | ${quality.map(() => '---:').join(' | ')} |`);
  const rows: Pick<Noise, 'nondeterminism' | 'churn'>[] = [
    { nondeterminism: 0, churn: 0 },
    { nondeterminism: 0, churn: NOISE.churn },
    { nondeterminism: 0.005, churn: NOISE.churn },
    { nondeterminism: 0.01, churn: NOISE.churn },
    { nondeterminism: NOISE.nondeterminism, churn: NOISE.churn },
  ];
  for (const row of rows) {
    const noise = { ...NOISE, ...row };
    const cells = [percent(await simulate(size, changeNamed('A/A, 1-run'), AA_RUNS, { noise }))];
    for (const change of quality) cells.push(percent(await simulate(size, change, POWER_RUNS, { noise })));
    console.log(`| ${percent(row.nondeterminism * 100)} | ${percent(row.churn * 100)} | ${cells.join(' | ')} |`);
  }
  // Latency against the fewest baseline runs the target allows and the most a baseline keeps.
  const baselineSizes = [3, MAX_BASELINE_RUNS];
  console.log(
    `\n| Job-to-job drift (sd) | ${baselineSizes.map((runs) => `A/A (${runs}-run baseline) | warm p50 +15 % (${runs}-run baseline)`).join(' | ')} |`,
  );
  console.log(`| ---: | ${baselineSizes.map(() => '---: | ---:').join(' | ')} |`);
  for (const driftSd of [0.01, 0.02, NOISE.driftSd, 0.05]) {
    const noise = { ...NOISE, driftSd };
    const cells: string[] = [];
    for (const baselineRuns of baselineSizes) {
      cells.push(percent(await simulate(size, { ...changeNamed('A/A, 3-run'), baselineRuns }, AA_RUNS, { noise })));
      cells.push(percent(await simulate(size, { ...changeNamed('warm p50'), baselineRuns }, POWER_RUNS, { noise })));
    }
    console.log(`| ${percent(driftSd * 100)} | ${cells.join(' | ')} |`);
  }
}

if (process.argv.includes('--sensitivity')) await sensitivityTables();
else await suitesTable();
console.log(
  `\nTargets (safety-checks at standard): A/A ≤ 1 %; ≥ 90 % for −10 pts detection, +10 pts false positives and −10 pts JSON validity against a 1-run baseline; ≥ 90 % for +15 % warm p50 against a 3-run baseline. Default margins: ${Object.entries(
    DEFAULT_GATE_RULES,
  )
    .filter(([, r]) => r.enabled)
    .map(([m, r]) => `${m} ${r.margin}`)
    .join(', ')}. Took ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
