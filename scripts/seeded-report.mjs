// Prints the report.json of a seeded run of the bundled CLI against the test server, with every
// timing-dependent field removed, so that two commits can be compared for identical behaviour:
//   node scripts/seeded-report.mjs > a.json   (at one commit, after npm run bundle)
//   node scripts/seeded-report.mjs > b.json   (at the other)   then: diff a.json b.json
// The run: a baseline from one seeded model, then a gated run of a seeded, less attentive model.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { suiteProgramme } from '../test-servers/programmes.mjs';

const programme = (hitRate, seed) =>
  suiteProgramme({
    models: ['seeded'],
    latency: { ttftMs: 5, perTokenMs: 0, jitterPct: 0 },
    quality: { hitRate },
    seed,
  });
const dir = mkdtempSync(join(tmpdir(), 'model-gate-seeded-'));
const server = spawn(
  process.execPath,
  ['test-servers/openai-compatible.mjs', '--programme-json', JSON.stringify(programme(0.95, 1)), '--ttl', '300'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
    server.once('exit', (code) => reject(new Error(`the test server did not start (exit ${code})`)));
  });
  const cli = (args) =>
    new Promise((resolve) =>
      spawn(process.execPath, ['dist/cli/index.js', ...args], { stdio: ['ignore', 'ignore', 'inherit'] }).on(
        'exit',
        resolve,
      ),
    );
  const common = [
    '--base-url',
    `${url}/v1`,
    '--model',
    'seeded',
    '--baseline-dir',
    join(dir, 'baselines'),
    '--quiet',
    '--confirm-runs',
    'false',
    // The hand-written scenarios, which suiteProgramme scripts: the same run at every commit.
    '--suite-size',
    'smoke',
  ];
  await cli(['baseline', ...common, '--report-dir', join(dir, 'baseline')]);
  await fetch(`${url}/__control/programme`, { method: 'POST', body: JSON.stringify(programme(0.6, 2)) });
  await cli(['run', ...common, '--report-dir', join(dir, 'run')]);
  const timing =
    /(Ms|Ms[A-Z]\w*|PerSecond|At|Seconds|latency\w*|ttft\w*|interToken\w*|durationMs|pValue|interval|threshold)$/i;
  const LATENCY_METRICS = /latency|ttft|interToken|coldStart|tokensPerSecond/i;
  const strip = (value) => {
    if (Array.isArray(value))
      return value
        .filter((entry) => !(entry && typeof entry === 'object' && LATENCY_METRICS.test(entry.metric ?? '')))
        .map((entry) => strip(entry));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(
            ([name]) =>
              !timing.test(name) &&
              ![
                'serverTimings',
                'trends',
                'version',
                'toolVersion',
                'reportDir',
                'baseUrl',
                'reason',
                'verdictReason',
                'samples',
              ].includes(name),
          )
          .map(([name, entry]) => [name, strip(entry)]),
      );
    }
    return value;
  };
  const report = readFileSync(join(dir, 'run', 'report.json'), 'utf8').replaceAll(dir, '<tmp>');
  process.stdout.write(`${JSON.stringify(strip(JSON.parse(report)), null, 2)}\n`);
} finally {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
