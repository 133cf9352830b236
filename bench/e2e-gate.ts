// The gate end to end, as two CI jobs run it: for each trial a fresh baseline job and a gate job,
// each through the bundled CLI (dist/cli/index.js) on the default suite at its default size,
// against the project's test server playing a temperature-0 vision model (each scenario's answer
// fixed, 2 % of calls answering otherwise). It counts how often an unchanged server passes and how
// often a server whose detection falls from 90 % to 75 % fails.
// Run: npm run bench:e2e [-- --quick]   (about 15 minutes on 2 cores; --quick runs 3 and 5 trials)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../src/suite/load.js';
import { reportSchema } from '../src/report/report.js';
import { programmeFor } from '../test-servers/programmes.mjs';
import { startTestServer } from '../test-servers/start.mjs';

const quick = process.argv.includes('--quick');
const REGRESSED_TRIALS = quick ? 3 : 10;
const UNCHANGED_TRIALS = quick ? 5 : 20;
const work = mkdtempSync(join(tmpdir(), 'model-gate-e2e-'));
const suite = await loadSuite('safety-checks');

function model(hitRate: number, seed: number) {
  return programmeFor(suite, {
    seed,
    latency: { ttftMs: 20, perTokenMs: 0.5, jitterPct: 5 },
    quality: { hitRate, perScenario: true, nondeterminism: 0.02 },
  });
}

async function cli(
  command: 'run' | 'baseline',
  url: string,
  baselineDir: string,
): Promise<{ code: number; verdict: string; regressed: string[] }> {
  const reportDir = mkdtempSync(join(work, 'report-'));
  const child = spawn(
    process.execPath,
    [
      'dist/cli/index.js',
      command,
      '--base-url',
      `${url}/v1`,
      '--model',
      'test-model',
      '--baseline-dir',
      baselineDir,
      '--report-dir',
      reportDir,
      '--quiet',
    ],
    { stdio: 'ignore' },
  );
  const code = await new Promise<number>((resolve) => child.once('exit', (exit) => resolve(exit ?? 1)));
  const report = reportSchema.parse(JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')));
  const regressed = report.metricVerdicts
    .filter((verdict) => verdict.status === 'regressed')
    .map((verdict) => verdict.metric);
  return { code, verdict: report.verdict, regressed };
}

/** One trial: a baseline job against the 90 % model, then a gate job against `hitRate`. */
async function trial(index: number, hitRate: number): Promise<{ code: number; verdict: string; regressed: string[] }> {
  const baselineDir = mkdtempSync(join(work, 'baselines-'));
  const before = await startTestServer(model(0.9, 1000 + index));
  try {
    const written = await cli('baseline', before.url, baselineDir);
    if (written.code !== 0) throw new Error(`the baseline job of trial ${index} exited ${written.code}`);
  } finally {
    before.stop();
  }
  const after = await startTestServer(model(hitRate, 2000 + index));
  try {
    return await cli('run', after.url, baselineDir);
  } finally {
    after.stop();
  }
}

const started = performance.now();
let caught = 0;
const failedOn = new Map<string, number>();
for (let index = 0; index < REGRESSED_TRIALS; index += 1) {
  const { code, regressed } = await trial(index, 0.75);
  if (code === 1) caught += 1;
  for (const metric of regressed) failedOn.set(metric, (failedOn.get(metric) ?? 0) + 1);
}
let passed = 0;
const falseFails: string[] = [];
for (let index = 0; index < UNCHANGED_TRIALS; index += 1) {
  const { code, verdict, regressed } = await trial(100 + index, 0.9);
  if (code === 0 && verdict === 'pass') passed += 1;
  else falseFails.push(`trial ${index + 1}: ${verdict} (${regressed.join(', ') || 'no metric'})`);
}
rmSync(work, { recursive: true, force: true });
console.log(
  `End to end, bundled CLI, safety-checks at size ${suite.size.preset} (${suite.scenarios.length} scenarios), a fresh baseline per trial:`,
);
console.log(`| Server | Trials | Gate failed | Gate passed |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(`| detection 90 % → 75 % | ${REGRESSED_TRIALS} | ${caught} | ${REGRESSED_TRIALS - caught} |`);
console.log(`| unchanged (90 %) | ${UNCHANGED_TRIALS} | ${UNCHANGED_TRIALS - passed} | ${passed} |`);
console.log(
  `Regressed metrics of the 75 % server: ${[...failedOn].map(([metric, count]) => `${metric} ${count}`).join(', ')}.`,
);
if (falseFails.length > 0) console.log(`Unchanged runs that did not pass: ${falseFails.join('; ')}.`);
console.log(`Targets: ≥ 9 of 10 failed, 20 of 20 passed. Took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
