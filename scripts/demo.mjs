// The demo: starts a simulated vision model on 127.0.0.1 (the test server, with realistic latency
// and an imperfect model) and runs the built-in suite against it with the bundled CLI, as you would
// against vLLM or Ollama: a misconfigured base URL first, then a baseline, an unchanged run that
// passes, a slower, less attentive model that the gate stops, and last an A-versus-B comparison of
// the self-hosted model with a hosted reference on slides, with costs and the break-even volume.
// It runs under tsx, to draw the default size's scenarios from the sources and script the
// simulated model's answers to them.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadSuite } from '../src/suite/load.ts';
import { programmeFor } from '../test-servers/programmes.mjs';
import { startTestServer } from '../test-servers/start.mjs';

const REPORTS = 'model-gate-report';
const BASELINES = `${REPORTS}/demo-baselines`;
const [records, slides] = [await loadSuite('safety-checks'), await loadSuite('slide-extraction')];
// A model at temperature 0: each scenario's answer is fixed, and 1 % of calls answer otherwise.
const model = ({ quality, ...overrides }) =>
  programmeFor(records, {
    models: ['demo-vlm'],
    latency: { ttftMs: 40, perTokenMs: 2, jitterPct: 10 },
    quality: { hitRate: 0.97, perScenario: true, nondeterminism: 0.01, ...quality },
    ...overrides,
  });

rmSync(REPORTS, { recursive: true, force: true });
mkdirSync(REPORTS, { recursive: true });

const { stop: stopServer, url } = await startTestServer(model({ seed: 1 }));
const setModel = (programme) =>
  fetch(`${url}/__control/programme`, { method: 'POST', body: JSON.stringify(programme) });

const cli = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/index.js', ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
// Latency is timed on the first 60 calls one at a time; the rest of the 299 scenarios go 8 at once.
const target = ['--model', 'demo-vlm', '--baseline-dir', BASELINES, '--concurrency', '8'];

console.log(`Simulated OpenAI-compatible vision model "demo-vlm" listening at ${url}/v1\n`);
console.log('1) A common mistake — the base URL without /v1 — and the diagnosis:\n');
await cli(['run', '--base-url', url, ...target, '--report-dir', `${REPORTS}/1-misconfigured`, '--quiet']);

console.log('\n2) Write the baseline from the model you trust (two runs, so the gate sees run-to-run noise):\n');
await cli(['baseline', '--base-url', `${url}/v1`, ...target, '--report-dir', `${REPORTS}/2-baseline`, '--quiet']);
await setModel(model({ seed: 2 }));
await cli(['baseline', '--base-url', `${url}/v1`, ...target, '--report-dir', `${REPORTS}/2-baseline`, '--quiet']);

console.log('\n3) A pull request that changes nothing that matters — the gate passes:\n');
await setModel(model({ seed: 3 }));
await cli(['run', '--base-url', `${url}/v1`, ...target, '--report-dir', `${REPORTS}/3-unchanged`]);

console.log('\n4) A pull request that swaps in a slower, less attentive model — the gate stops it:\n');
await setModel(model({ latency: { ttftMs: 70, perTokenMs: 3, jitterPct: 10 }, quality: { hitRate: 0.8 }, seed: 4 }));
const code = await cli(['run', '--base-url', `${url}/v1`, ...target, '--report-dir', `${REPORTS}/4-regressed`]);

console.log(
  '\n5) A versus B: the self-hosted model against a hosted reference on the slide-extraction suite, with costs:\n',
);
await setModel(
  programmeFor(slides, {
    models: ['demo-vlm'],
    latency: { ttftMs: 40, perTokenMs: 2, jitterPct: 10 },
    quality: { hitRate: 0.8, perScenario: true },
    seed: 5,
  }),
);
const reference = await startTestServer(
  programmeFor(slides, {
    models: ['gpt-4o'],
    latency: { ttftMs: 20, perTokenMs: 1, jitterPct: 10 },
    quality: { hitRate: 0.97, perScenario: true },
    seed: 6,
  }),
);
const compareConfig = `${REPORTS}/5-compare.yml`;
writeFileSync(
  compareConfig,
  [
    'suite: slide-extraction',
    'targets:',
    `  - { name: self-hosted, base-url: "${url}/v1", model: demo-vlm, compare-to: hosted, cost: { gpu-per-hour: 1.48 } }`,
    `  - { name: hosted, base-url: "${reference.url}/v1", model: gpt-4o, cost: { input-per-million: 2.5, output-per-million: 10 } }`,
    `compare: { embeddings: { base-url: "${url}/v1", model: demo-embedder } }`,
    '',
  ].join('\n'),
);
await cli([
  'run',
  '--config',
  compareConfig,
  '--baseline-dir',
  BASELINES,
  '--concurrency',
  '8',
  '--report-dir',
  `${REPORTS}/5-compare`,
  '--quiet',
]);
const compared = JSON.parse(readFileSync(`${REPORTS}/5-compare/report.json`, 'utf8')).comparisons[0];
console.log(
  `\nSelf-hosted and hosted agree on ${compared.agreementPct} % of ${compared.pairs} answer pairs; ${compared.breakEven?.reason ?? ''}.`,
);

stopServer();
reference.stop();
console.log(
  `\nThe gate ${code === 1 ? 'failed step 4, as it should' : `exited ${code} on step 4`}. Each step's report.json, summary.md, comment.md, junit.xml and samples.jsonl are under ${REPORTS}/.`,
);
process.exitCode = code === 1 ? 0 : 1;
