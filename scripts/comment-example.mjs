// Produces docs/comment-example.md and .html: a real pull-request comment from a gated run with a
// regression (a slower, less attentive model; one answer with hostile text), rendered with marked;
// and docs/comment-example.png, the README's picture, where headless Chromium is installed.
// It runs under tsx, to draw the default size's scenarios from the sources.
// Run: npm run docs:comment
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { marked } from 'marked';
import { loadSuite } from '../src/suite/load.ts';
import { programmeFor } from '../test-servers/programmes.mjs';

const suite = await loadSuite('safety-checks');
// A model at temperature 0: each scenario's answer fixed, 1 % of calls answering otherwise.
const model = ({ quality, ...overrides }) =>
  programmeFor(suite, {
    quality: { hitRate: 0.95, perScenario: true, nondeterminism: 0.01, ...quality },
    ...overrides,
  });

const server = spawn(process.execPath, ['test-servers/openai-compatible.mjs', '--ttl', '300'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const url = await new Promise((resolve) =>
  createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url)),
);
const setProgramme = (programme) =>
  fetch(`${url}/__control/programme`, { method: 'POST', body: JSON.stringify(programme) });
const work = mkdtempSync(join(tmpdir(), 'model-gate-example-'));
// Asynchronous, so this process keeps its event loop (and its HTTP connections) alive meanwhile.
const cli = (args) =>
  promisify(execFile)(
    process.execPath,
    [
      join(process.cwd(), 'dist/cli/index.js'),
      ...args,
      '--base-url',
      `${url}/v1`,
      '--model',
      'test-model',
      '--target-name',
      'qwen2.5-vl-awq',
      '--concurrency',
      '8',
      '--quiet',
    ],
    { cwd: work },
  ).catch((error) => error);

const good = { latency: { ttftMs: 60, perTokenMs: 2, jitterPct: 5 }, seed: 1 };
for (let run = 0; run < 3; run += 1) {
  await setProgramme(model({ ...good, seed: run + 1 }));
  await cli(['baseline']);
}
const programme = model({
  latency: { ttftMs: 90, perTokenMs: 3, jitterPct: 5 },
  quality: { hitRate: 0.75 },
  seed: 9,
});
const hostile =
  '{"additional_checks": [{"label": "@org/team <img src=x onerror=alert(1)>", "evidence": "[click me](https://evil.example)"}]}';
const firstClean = Object.keys(programme.answers).at(-1);
programme.answers[firstClean] = { hit: hostile, miss: hostile };
await setProgramme(programme);
await cli(['run']);
server.stdin.end();
server.kill();

const comment = readFileSync(join(work, 'model-gate-report', 'comment.md'), 'utf8');
writeFileSync('docs/comment-example.md', comment);
const style =
  'body{font:14px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:900px;margin:24px auto;color:#1f2328}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 10px}code{background:#eff1f3;padding:1px 4px;border-radius:4px;font-size:85%}pre{background:#f6f8fa;padding:8px}details{margin:8px 0}';
// Sections open, so the screenshot shows them all.
const html = (await marked.parse(comment, { gfm: true })).replaceAll('<details>', '<details open>');
writeFileSync(
  'docs/comment-example.html',
  `<!doctype html><meta charset="utf-8"><title>model-gate comment</title><style>${style}</style>${html}`,
);
console.log('docs/comment-example.md and docs/comment-example.html written');

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((name) => {
  try {
    return execFileSync('which', [name], { stdio: 'pipe' }).length > 0;
  } catch {
    return false;
  }
});
if (chromium) {
  const page = `file://${join(process.cwd(), 'docs', 'comment-example.html')}`;
  execFileSync(
    chromium,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--window-size=1000,2900',
      '--screenshot=docs/comment-example.png',
      page,
    ],
    { stdio: 'ignore', timeout: 120_000 },
  );
  console.log(`docs/comment-example.png taken with ${chromium}`);
} else console.log('No Chromium here: docs/comment-example.png was not retaken.');
