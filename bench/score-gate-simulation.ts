// The gate on fractional scores (entity recall, OCR similarity): a paired t-test over scenarios
// (src/gate/rules.ts). Simulated here as bench:gate does for detection and latency: how often it
// fails an unchanged model (A/A), and how often it catches a drop in entity recall, on a suite the
// size of slide-extraction (9 slides, 3 to 9 entities each) and on one four times larger, with
// answers that vary from run to run (sampling at temperature > 0). The decision code is the gate's.
// Run: npm run bench:gate-scores
import { seededRandom } from './support/seeded-random.js';
import { sampleWith } from '../__tests__/helpers/samples.js';
import { baselineRun, type BaselineRun } from '../src/gate/baseline.js';
import { decideMetrics, type CurrentRun, type GateRules } from '../src/gate/rules.js';
import { computeMetrics, scenarioOutcomes } from '../src/measure/metrics.js';
import { METRIC_NAMES, type MetricName } from '../src/metric-catalog.js';
import type { Sample } from '../src/run/sample.js';

const AA_RUNS = Number(process.env.AA_RUNS ?? 4000);
const POWER_RUNS = Number(process.env.POWER_RUNS ?? 1000);
const ALPHA = 0.01;
const WARM_RUNS = 3;
const BASELINE_RUNS = 2;

const random = seededRandom(20261124);
const binomial = (n: number, p: number) =>
  Array.from({ length: n }, () => (random() < p ? 1 : 0) as number).reduce((sum, hit) => sum + hit, 0);

interface World {
  entities: number[];
  /** Each scenario's chance that an entity is named: most slides read well, dense ones less. */
  recall: number[];
}

function drawWorld(scenarios: number): World {
  return {
    entities: Array.from({ length: scenarios }, () => 3 + Math.floor(random() * 7)),
    recall: Array.from({ length: scenarios }, () => (random() < 0.6 ? 0.95 : 0.55 + random() * 0.35)),
  };
}

const GATE_ONLY_RECALL: GateRules = Object.fromEntries(
  METRIC_NAMES.map((name) => [name, { margin: 5, enabled: name === 'entityRecallPct' }]),
);
const ORDER = (scenarios: number) =>
  Array.from({ length: scenarios }, (_, index) => ({
    id: `s${index}`,
    category: 'c',
    anomaly: null,
    primaryScore: { name: 'entityRecall', threshold: 0.8 },
  }));

function simulateRun(world: World, pointsDown = 0): Sample[] {
  const samples: Sample[] = [];
  for (let run = 1; run <= WARM_RUNS; run += 1) {
    world.entities.forEach((entities, index) => {
      const p = Math.max(0, world.recall[index]! - pointsDown / 100);
      samples.push(
        sampleWith({
          scenario: `s${index}`,
          anomaly: null,
          run,
          ttftMs: 20,
          outputTokens: 50,
          outputTokensPerSecond: 500,
          flagged: false,
          detected: false,
          scores: { entityRecall: binomial(entities, p) / entities },
        }),
      );
    });
  }
  return samples;
}

function asBaseline(samples: Sample[], scenarios: number, index: number): BaselineRun {
  return baselineRun({
    runId: `b${index}`,
    createdAt: '',
    toolVersion: 'sim',
    model: 'm',
    serverVersion: null,
    scenarios: scenarioOutcomes(samples, ORDER(scenarios)),
    metrics: computeMetrics(samples),
    samples,
  });
}

function failRate(scenarios: number, pointsDown: number, runs: number): number {
  let fails = 0;
  for (let index = 0; index < runs; index += 1) {
    const world = drawWorld(scenarios);
    const baselines = Array.from({ length: BASELINE_RUNS }, (_, run) => asBaseline(simulateRun(world), scenarios, run));
    const samples = simulateRun(world, pointsDown);
    const current: CurrentRun = {
      scenarios: scenarioOutcomes(samples, ORDER(scenarios)),
      samples,
      metrics: computeMetrics(samples),
    };
    const verdicts = decideMetrics([{ target: 't', runs: baselines, current }], GATE_ONLY_RECALL, ALPHA);
    if (
      verdicts.some(
        (verdict) => verdict.metric === ('entityRecallPct' satisfies MetricName) && verdict.status === 'regressed',
      )
    )
      fails += 1;
  }
  return fails / runs;
}

const lines = [
  `Entity recall gated alone (margin 5 points, alpha ${ALPHA}), ${WARM_RUNS} warm runs, a baseline of ${BASELINE_RUNS} runs; answers drawn per run (each entity named with the scenario's probability)`,
  '',
];
lines.push(
  '| Suite | Unchanged: false fails | −10 points caught | −15 points caught | −25 points caught |',
  '| --- | ---: | ---: | ---: | ---: |',
);
for (const scenarios of [9, 36]) {
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
  lines.push(
    `| ${scenarios} scenarios | ${pct(failRate(scenarios, 0, AA_RUNS))} (${AA_RUNS} runs) | ${pct(failRate(scenarios, 10, POWER_RUNS))} | ${pct(failRate(scenarios, 15, POWER_RUNS))} | ${pct(failRate(scenarios, 25, POWER_RUNS))} |`,
  );
}
console.log(lines.join('\n'));
