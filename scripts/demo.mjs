// The demo: starts a simulated vision model on 127.0.0.1 (the test server, with realistic latency
// and an imperfect model) and runs the built-in suite against it with the bundled CLI, as you would
// against vLLM or Ollama: a misconfigured base URL first, then a baseline, an unchanged run that
// passes, and a slower, less attentive model that the gate stops.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { suiteProgramme } from '../test-servers/programmes.mjs';

const REPORTS = 'model-gate-report';
const BASELINES = `${REPORTS}/demo-baselines`;
const model = (overrides) => suiteProgramme({ models: ['demo-vlm'], latency: { ttftMs: 120, perTokenMs: 6, jitterPct: 10 }, quality: { hitRate: 0.97 }, ...overrides });

rmSync(REPORTS, { recursive: true, force: true });
const server = spawn(process.execPath, ['test-servers/openai-compatible.mjs', '--programme-json', JSON.stringify(model({ seed: 1 })), '--ttl', '600'], { stdio: ['pipe', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
  server.once('exit', (code) => reject(new Error(`the simulated endpoint did not start (exit ${code})`)));
});
const setModel = (programme) => fetch(`${url}/__control/programme`, { method: 'POST', body: JSON.stringify(programme) });

const cli = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/index.js', ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
const target = ['--model', 'demo-vlm', '--baseline-dir', BASELINES, '--warm-runs', '3'];

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
await setModel(model({ latency: { ttftMs: 200, perTokenMs: 9, jitterPct: 10 }, quality: { hitRate: 0.55 }, seed: 4 }));
const code = await cli(['run', '--base-url', `${url}/v1`, ...target, '--report-dir', `${REPORTS}/4-regressed`]);

server.stdin.end();
server.kill('SIGTERM');
console.log(`\nThe gate ${code === 1 ? 'failed step 4, as it should' : `exited ${code} on step 4`}. Each step's report.json, summary.md, comment.md, junit.xml and samples.jsonl are under ${REPORTS}/.`);
process.exitCode = code === 1 ? 0 : 1;
