// What model-gate itself costs per call. The same suite runs against a zero-latency test server
// twice over: through the whole pipeline (config, preflight, scoring, sample log, report), and as
// a bare loop of the same streamed requests through the openai client. Rounds alternate which side
// goes first (so neither always pays the other's garbage collection); the median of the paired
// ratios is the result. The suite is the default one at its default size and warm runs, as users
// run it. Run: npm run bench
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { median } from 'simple-statistics';
import { runPipeline } from './pipeline.js';
import { defaultWarmRuns } from '../src/run/runner.js';
import { loadSuite } from '../src/suite/load.js';
import { programmeFor } from '../test-servers/programmes.mjs';
import { startTestServer } from '../test-servers/start.mjs';

const suite = await loadSuite('safety-checks');
const WARM_RUNS = defaultWarmRuns(suite.scenarios.length);
// The machine's own jitter moves single rounds by ±20 %; 60 rounds put the median within a few %.
const ROUNDS = Number(process.env.ROUNDS ?? 60);
const TARGET_RATIO = 1.15;
const TARGET_MS_PER_CALL = 2;

const server = await startTestServer(programmeFor(suite));
const baseUrl = `${server.url}/v1`;

const calls = 1 + suite.scenarios.length * WARM_RUNS;

// The gate runs against a baseline, as on a pull request: comparison, comment, JUnit and charts
// are part of what is measured. Confirmation runs are off: they would add real calls.
const scratch = mkdtempSync(join(tmpdir(), 'model-gate-bench-'));
const baselineDir = join(scratch, 'baselines');

async function harness(mode: 'gate' | 'baseline' = 'gate'): Promise<number> {
  const started = performance.now();
  const outcome = await runPipeline({
    mode,
    'base-url': baseUrl,
    model: 'test-model',
    'confirm-runs': 'false',
    'baseline-dir': baselineDir,
    'report-dir': mkdtempSync(join(scratch, 'report-')),
  });
  const elapsed = performance.now() - started;
  // A zero-latency server's timings are noise, so the verdict may be either; an error is not.
  if (outcome.report.verdict === 'error' || outcome.report.targets[0]?.completedCalls !== calls)
    throw new Error(`harness run failed: ${outcome.report.verdictReason}`);
  return elapsed;
}

async function bareLoop(): Promise<number> {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: 'no-key-given', maxRetries: 0 });
  const dataUrls = suite.scenarios.map(
    (scenario) => `data:image/png;base64,${scenario.image!.bytes.toString('base64')}`,
  );
  const order = [0, ...Array.from({ length: WARM_RUNS }, () => dataUrls.map((_, index) => index)).flat()];
  const started = performance.now();
  for (const index of order) {
    const stream = await client.chat.completions.create({
      model: 'test-model',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: suite.prompt },
            { type: 'image_url', image_url: { url: dataUrls[index]! } },
          ],
        },
      ],
      temperature: 0,
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- what self-hosted servers all accept
      max_tokens: 512,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_object' },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    if (!text) throw new Error('bare loop got an empty answer');
  }
  return performance.now() - started;
}

// One warm-up of each, not counted in the ratio (JIT, connection pools, the suite and validator
// loaded once per process), but printed: it is what a single CI run pays on top.
// The first run writes the baseline the gate runs compare with.
const firstHarnessMs = await harness('baseline');
const firstBareMs = await bareLoop();
const harnessMs: number[] = [];
const bareMs: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  if (round % 2 === 0) {
    harnessMs.push(await harness());
    bareMs.push(await bareLoop());
  } else {
    bareMs.push(await bareLoop());
    harnessMs.push(await harness());
  }
}
server.stop();
rmSync(scratch, { recursive: true, force: true });

const harnessMedian = median(harnessMs);
const bareMedian = median(bareMs);
const ratios = harnessMs.map((ms, round) => ms / bareMs[round]!).sort((a, b) => a - b);
const ratio = median(ratios);
// Distribution-free 95 % interval for a median: the order statistics n/2 ± 0.98·√n (normal
// approximation to Binomial(n, 1/2)); simple-statistics has no interval for a median.
const ratioLow = ratios[Math.max(0, Math.floor(ROUNDS / 2 - 0.98 * Math.sqrt(ROUNDS)) - 1)]!;
const ratioHigh = ratios[Math.min(ROUNDS - 1, Math.ceil(ROUNDS / 2 + 0.98 * Math.sqrt(ROUNDS)))]!;
const overheadPerCall = (harnessMedian - bareMedian) / calls;
const row = (name: string, ms: number) => `| ${name} | ${ms.toFixed(0)} ms | ${(ms / calls).toFixed(2)} ms |`; // medians
console.log(
  `Harness overhead: safety-checks at size ${suite.size.preset} (${suite.scenarios.length} scenarios, ${WARM_RUNS} warm run${WARM_RUNS === 1 ? '' : 's'}), ${calls} calls per run, zero-latency server on loopback, ${ROUNDS} rounds alternating which side goes first\n`,
);
console.log('| Run | Wall time | Per call |');
console.log('| --- | ---: | ---: |');
console.log(row('bare openai-client loop', bareMedian));
console.log(row('model-gate run (whole pipeline)', harnessMedian));
console.log(
  `\nRatio model-gate / bare loop (median of the ${ROUNDS} paired rounds): ${ratio.toFixed(3)}×, 95 % interval ${ratioLow.toFixed(3)}–${ratioHigh.toFixed(3)}× (target ≤ ${TARGET_RATIO}×)`,
);
console.log(`Harness time per call: ${overheadPerCall.toFixed(3)} ms (target < ${TARGET_MS_PER_CALL} ms)`);
console.log(
  `First run in a fresh process (not in the ratio): model-gate ${firstHarnessMs.toFixed(0)} ms, bare loop ${firstBareMs.toFixed(0)} ms — one-time start-up of ${(firstHarnessMs - firstBareMs - (harnessMedian - bareMedian)).toFixed(0)} ms`,
);
console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
if (ratio > TARGET_RATIO || overheadPerCall >= TARGET_MS_PER_CALL) {
  console.log('Target missed.');
  process.exitCode = 1;
}
