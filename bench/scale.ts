// Scaling out and holding up under load, measured in one run:
// 1. Wall time of the same suite on 1, 2 and 4 shards run as parallel processes of the bundled CLI,
//    each with its merge, as ratios to one shard (target: 4 shards at most 0.3× one shard).
// 2. Peak memory of one run of about 5,000 calls at 64-way concurrency against a slow server
//    (target: under 300 MB), and its wall time against a bare loop of the same requests at 64-way.
// Run: npm run bench:scale   (needs the bundle: npm run bundle)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { messagesFor } from '../src/run/runner.js';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';

const SUITE = 'voice-commands';
// Long enough that a shard's fixed cost (process start, preflight, cold call, report) is small beside its calls.
const SHARD_WARM_RUNS = Number(process.env.WARM_RUNS ?? 48);
const LOAD_WARM_RUNS = 167; // 30 scenarios × 167 runs + the cold call = 5,011 calls
const CAPPED_OLD_SPACE_MB = 48;
const CLI = resolve('dist/cli/index.js');
const scratch = mkdtempSync(join(tmpdir(), 'model-gate-bench-scale-'));

async function startServer(latency: Record<string, number>) {
  const child = spawn(
    process.execPath,
    [
      'test-servers/openai-compatible.mjs',
      '--programme-json',
      JSON.stringify(suiteProgramme({ latency }, SUITE)),
      '--ttl',
      '900',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((done) =>
    createInterface({ input: child.stdout }).once('line', (line) => done((JSON.parse(line) as { url: string }).url)),
  );
  return { url, stop: () => (child.stdin.end(), child.kill('SIGTERM')) };
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => done({ code, stdout }));
  });
}

async function sharded(url: string, shards: number): Promise<{ ms: number; shardsMs: number; mergeMs: number }> {
  const dir = join(scratch, `shards-${shards}`);
  const common = [
    '--base-url',
    `${url}/v1`,
    '--model',
    'test-model',
    '--suite',
    SUITE,
    // The 30 hand-written commands, repeated: a fixed number of calls, whatever the default size.
    '--suite-size',
    'smoke',
    '--warm-runs',
    String(SHARD_WARM_RUNS),
    '--quiet',
    '--baseline-dir',
    join(scratch, 'baselines'),
  ];
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: shards }, (_, index) =>
      run([
        CLI,
        'run',
        ...common,
        '--shard',
        `${index + 1}/${shards}`,
        '--report-dir',
        join(dir, `shard-${index + 1}`),
      ]),
    ),
  );
  const shardsDone = performance.now();
  if (results.some((result) => result.code !== 0))
    throw new Error(`a shard failed: exit ${results.map((result) => result.code).join(', ')}`);
  const merge = await run([
    CLI,
    'merge',
    ...common,
    '--shards-dir',
    dir,
    '--report-dir',
    join(scratch, `merged-${shards}`),
  ]);
  if (merge.code === 2) throw new Error(`the merge of ${shards} shards failed`);
  const finished = performance.now();
  return { ms: finished - started, shardsMs: shardsDone - started, mergeMs: finished - shardsDone };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const lines: string[] = [];

// 1. Shards.
const slow = await startServer({ ttftMs: 60, perTokenMs: 1 });
const timings = new Map<number, Awaited<ReturnType<typeof sharded>>>();
for (const shards of [1, 2, 4]) timings.set(shards, await sharded(slow.url, shards));
slow.stop();
const one = timings.get(1)!.ms;
const calls = 30 * SHARD_WARM_RUNS;
lines.push(
  `Shards: ${SUITE} suite, ${calls} warm calls (and one cold call per shard), test server with 60 ms to the first token and 1 ms a token; shards as parallel processes of the bundled CLI, then the merge`,
  '',
);
lines.push(
  '| Shards | Wall time (shards + merge) | Shards | Merge | Ratio to one shard |',
  '| ---: | ---: | ---: | ---: | ---: |',
);
for (const [shards, timing] of timings)
  lines.push(
    `| ${shards} | ${fmt(timing.ms)} | ${fmt(timing.shardsMs)} | ${fmt(timing.mergeMs)} | ${(timing.ms / one).toFixed(3)}× |`,
  );
const ratio4 = timings.get(4)!.ms / one;
lines.push('', `4 shards: ${ratio4.toFixed(3)}× one shard (target ≤ 0.3×) — ${ratio4 <= 0.3 ? 'met' : 'missed'}.`, '');

// 2. Load: ~5,000 calls at 64-way against a slow server, peak RSS, and a bare loop for comparison;
// and the same at ~1,000 calls, to show that memory does not grow with the number of calls.
const loaded = await startServer({ ttftMs: 100, perTokenMs: 2 });
async function loadRun(warmRuns: number, nodeFlags: string[] = []) {
  const rssFile = join(scratch, `rss-${warmRuns}`);
  const started = performance.now();
  const result = await run(
    [
      ...nodeFlags,
      '--import',
      resolve('bench/support/max-rss.mjs'),
      CLI,
      'run',
      '--base-url',
      `${loaded.url}/v1`,
      '--model',
      'test-model',
      '--suite',
      SUITE,
      '--suite-size',
      'smoke',
      '--warm-runs',
      String(warmRuns),
      '--concurrency',
      '64',
      '--latency-concurrency',
      '64',
      '--report-dir',
      join(scratch, `load-${warmRuns}`),
      '--baseline-dir',
      join(scratch, 'no-baselines'),
      '--quiet',
    ],
    {
      MODEL_GATE_RSS_FILE: rssFile,
    },
  );
  const report = JSON.parse(readFileSync(join(scratch, `load-${warmRuns}`, 'report.json'), 'utf8')) as {
    targets: { completedCalls: number }[];
  };
  return {
    ms: performance.now() - started,
    peakMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
    calls: report.targets[0]!.completedCalls,
    code: result.code,
  };
}
const small = await loadRun(33);
const large = await loadRun(LOAD_WARM_RUNS);
// V8 lets its heap grow while memory is free; with old space capped, the same run shows what it holds.
const capped = await loadRun(LOAD_WARM_RUNS, [`--max-old-space-size=${CAPPED_OLD_SPACE_MB}`]);
const suite = loadBuiltinSmokeSuite(SUITE);
const requests = Array.from({ length: LOAD_WARM_RUNS }, () => suite.scenarios).flat();
requests.unshift(suite.scenarios[0]!);
const requestFile = join(scratch, 'requests.json');
writeFileSync(
  requestFile,
  JSON.stringify(
    requests.map((scenario) => {
      const { system, prompt } = messagesFor(suite, scenario, { toolMode: 'native' });
      return [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }];
    }),
  ),
);
const bare = JSON.parse(
  (await run([resolve('bench/support/bare-loop.mjs'), `${loaded.url}/v1`, 'test-model', '64', requestFile])).stdout,
) as { ms: number };
loaded.stop();
lines.push(
  `Load: 64-way concurrency, test server with 100 ms to the first token and 2 ms a token (exit ${large.code})`,
  '',
);
lines.push('| Run | Calls | Wall time | Peak RSS |', '| --- | ---: | ---: | ---: |');
lines.push(
  `| model-gate (bundled CLI, whole pipeline, process start included) | ${small.calls} | ${fmt(small.ms)} | ${small.peakMb.toFixed(0)} MB |`,
);
lines.push(
  `| model-gate (bundled CLI, whole pipeline, process start included) | ${large.calls} | ${fmt(large.ms)} | ${large.peakMb.toFixed(0)} MB |`,
);
lines.push(
  `| model-gate, V8 old space capped at ${CAPPED_OLD_SPACE_MB} MB (exit ${capped.code}) | ${capped.calls} | ${fmt(capped.ms)} | ${capped.peakMb.toFixed(0)} MB |`,
);
lines.push(
  `| bare openai-client loop, same requests, 64-way (in its process, start excluded) | ${large.calls} | ${fmt(bare.ms)} | — |`,
);
lines.push(
  '',
  `Peak RSS ${large.peakMb.toFixed(0)} MB for ${large.calls} calls (target < 300 MB) — ${large.peakMb < 300 ? 'met' : 'missed'}; ${((large.peakMb - small.peakMb) / ((large.calls - small.calls) / 1000)).toFixed(1)} MB more per 1,000 calls. Wall time ${(large.ms / bare.ms).toFixed(3)}× the bare loop, ${((large.ms - bare.ms) / large.calls).toFixed(3)} ms of harness time a call.`,
);
lines.push(`Node ${process.versions.node}, ${process.platform}/${process.arch}`);
console.log(lines.join('\n'));
rmSync(scratch, { recursive: true, force: true });
