// The demo: starts a simulated vision model on 127.0.0.1 (the test server, with realistic latency
// and an imperfect model), then runs the built-in suite against it with the bundled CLI, exactly as
// you would against vLLM or Ollama. First it shows what a misconfigured base URL looks like.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { suiteProgramme } from '../test-servers/programmes.mjs';

const programme = suiteProgramme({
  models: ['demo-vlm'],
  latency: { ttftMs: 180, perTokenMs: 12, jitterPct: 15, modelsDelayMs: 0 },
  quality: { hitRate: 0.9, invalidJsonRate: 0.04, proseRate: 0 },
  seed: 2026,
});

const server = spawn(process.execPath, ['test-servers/openai-compatible.mjs', '--programme-json', JSON.stringify(programme), '--ttl', '600'], { stdio: ['pipe', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
  server.once('exit', (code) => reject(new Error(`the simulated endpoint did not start (exit ${code})`)));
});

const cli = (args) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/cli/index.js', ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });

console.log(`Simulated OpenAI-compatible vision model "demo-vlm" listening at ${url}/v1\n`);
console.log('1) A common mistake — the base URL without /v1 — and the diagnosis model-gate gives:\n');
await cli(['run', '--base-url', url, '--model', 'demo-vlm', '--report-dir', 'model-gate-report/misconfigured', '--quiet']);

console.log('\n2) The safety-checks suite, end to end:\n');
const code = await cli(['run', '--base-url', `${url}/v1`, '--model', 'demo-vlm', '--warm-runs', '3', '--min-detection-rate-pct', '70', '--max-false-positive-rate-pct', '25', '--report-dir', 'model-gate-report']);

server.stdin.end();
server.kill('SIGTERM');
console.log('\nOpen model-gate-report/summary.md, report.json and samples.jsonl to see everything measured.');
process.exitCode = code;
