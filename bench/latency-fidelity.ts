// Are model-gate's latency figures the server's, not the harness's? The test server injects a
// known time to first token and a known delay between tokens; each call's measured TTFT,
// inter-token latency and end-to-end latency are compared with the injected values (nominal) and
// with what the server itself timed (its llama.cpp-style `timings`, which include Node's timer
// overshoot), at concurrency 1 and 16. Run: npm run bench:latency
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { median, quantile } from 'simple-statistics';
import { runPipeline } from './pipeline.js';
import { sampleSchema, type Sample } from '../src/run/sample.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';

const TTFT_MS = 40;
const PER_TOKEN_MS = 8;
const TARGET_MS = 2;
const RUNS = [
  { concurrency: 1, warmRuns: 3 },
  { concurrency: 16, warmRuns: 12 },
];

const server = spawn(process.execPath, ['test-servers/openai-compatible.mjs', '--programme-json', JSON.stringify(suiteProgramme({ timings: true, latency: { ttftMs: TTFT_MS, perTokenMs: PER_TOKEN_MS } })), '--ttl', '600'], { stdio: ['pipe', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url)));
const scratch = mkdtempSync(join(tmpdir(), 'model-gate-bench-latency-'));

interface Row {
  concurrency: number;
  calls: number;
  errors: { ttft: number[]; itl: number[]; e2e: number[] };
  serverErrors: { ttft: number[]; itl: number[] };
  gapMsPerCall: number | null;
}

async function measure(concurrency: number, warmRuns: number): Promise<Row> {
  const reportDir = mkdtempSync(join(scratch, 'run-'));
  const outcome = await runPipeline({ 'base-url': `${url}/v1`, model: 'test-model', 'warm-runs': String(warmRuns), concurrency: String(concurrency), 'report-dir': reportDir, 'baseline-dir': join(scratch, 'baselines') });
  if (outcome.report.verdict === 'error') throw new Error(outcome.report.verdictReason);
  const samples: Sample[] = readFileSync(join(reportDir, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => sampleSchema.parse(JSON.parse(line)));
  const warm = samples.filter((sample) => sample.phase === 'warm' && sample.errorClass === null);
  const row: Row = { concurrency, calls: samples.length, errors: { ttft: [], itl: [], e2e: [] }, serverErrors: { ttft: [], itl: [] }, gapMsPerCall: null };
  for (const sample of warm) {
    const tokens = sample.outputTokens!;
    row.errors.ttft.push(sample.ttftMs! - TTFT_MS);
    row.errors.itl.push(sample.interTokenMeanMs! - PER_TOKEN_MS);
    row.errors.e2e.push(sample.latencyMs - (TTFT_MS + (tokens - 1) * PER_TOKEN_MS));
    const timings = sample.serverTimings!;
    row.serverErrors.ttft.push(sample.ttftMs! - timings.promptMs!);
    row.serverErrors.itl.push(sample.interTokenMeanMs! - timings.decodeMs! / (tokens - 1));
  }
  // One call at a time: the time between one call's end and the next one's request is the harness's.
  if (concurrency === 1) {
    const spanMs = Date.parse(samples.at(-1)!.startedAt) + samples.at(-1)!.latencyMs - Date.parse(samples[0]!.startedAt);
    row.gapMsPerCall = (spanMs - samples.reduce((sum, sample) => sum + sample.latencyMs, 0)) / (samples.length - 1);
  }
  return row;
}

// A first, unmeasured run pays the one-time start-up (modules, JIT, connections).
await measure(4, 1);
const rows: Row[] = [];
for (const { concurrency, warmRuns } of RUNS) rows.push(await measure(concurrency, warmRuns));
server.stdin!.end();
server.kill('SIGTERM');
rmSync(scratch, { recursive: true, force: true });

const fmt = (values: number[]) => `${median(values) >= 0 ? '+' : ''}${median(values).toFixed(2)} ms (p95 ${quantile(values, 0.95) >= 0 ? '+' : ''}${quantile(values, 0.95).toFixed(2)})`;
console.log(`Latency fidelity: injected TTFT ${TTFT_MS} ms and ${PER_TOKEN_MS} ms between tokens, safety-checks suite, loopback\n`);
console.log('| Concurrency | Calls | TTFT − injected | ITL − injected | End-to-end − injected | TTFT − server-timed | ITL − server-timed | Client time between calls |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
let missed = false;
for (const row of rows) {
  console.log(`| ${row.concurrency} | ${row.calls} | ${fmt(row.errors.ttft)} | ${fmt(row.errors.itl)} | ${fmt(row.errors.e2e)} | ${fmt(row.serverErrors.ttft)} | ${fmt(row.serverErrors.itl)} | ${row.gapMsPerCall === null ? '—' : `${row.gapMsPerCall.toFixed(2)} ms`} |`);
  for (const values of Object.values(row.errors)) if (Math.abs(median(values)) > TARGET_MS) missed = true;
}
console.log(`\nMedians of each call's error (its p95 in brackets); target: every median within ±${TARGET_MS} ms of the injected values.`);
console.log("Client time between calls (one at a time): from one call's last token to the next request leaving — model-gate's scoring and sample log, the openai client and fetch preparing the request; none of it is in the latency figures.");
console.log(`Node ${process.version}, ${process.platform}/${process.arch}`);
if (missed) {
  console.log('Target missed.');
  process.exitCode = 1;
}
