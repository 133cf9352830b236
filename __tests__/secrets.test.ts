// No secret anywhere: runs with known fake keys — given as an input, through an environment
// variable, for an embeddings endpoint, echoed back by a gateway in its errors — then every
// output is scanned: the log, report.json, summary, comment (as written and as posted), JUnit,
// samples, charts, baselines, GITHUB_OUTPUT and the step summary. Only the ::add-mask:: command
// that tells the runner to mask a key may name it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { copyAction, runAction } from './helpers/action.js';
import { runCli } from './helpers/processes.js';
import { createServer } from 'node:http';
import { redactor } from '../src/lib/redact.js';
import { startGithubServer, startOllamaServer, startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';

const INPUT_KEY = 'sk-scan-input-7f3e9a1c55';
const ENV_KEY = 'sk-scan-env-44b2d0e8aa';
const EMBEDDINGS_KEY = 'sk-scan-embed-91c3f0b7';
const GITHUB_TOKEN = 'ghs_scan-token-5a6b7c';
const URL_KEY = 'sk-scan-userinfo-0d9e8f7a6b5c4d3e2f1a';
const QUERY_KEY = 'sk-scan-query-3c4d5e6f7a8b9c0d';
const SECRETS = [INPUT_KEY, ENV_KEY, EMBEDDINGS_KEY, GITHUB_TOKEN, URL_KEY, QUERY_KEY];

let actionDir: string;
beforeAll(() => {
  actionDir = copyAction();
});
afterAll(stopAllServers);

/** Every file under a folder, as text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path).toString('latin1') }));
}

function expectNoSecret(where: string, text: string) {
  const withoutMasks = text.replace(/^::add-mask::.*$/gm, '');
  for (const secret of SECRETS)
    expect({ where, found: withoutMasks.includes(secret) }).toEqual({ where, found: false });
}

describe('secrets', () => {
  it('the action with a key as input, a gateway that echoes it, a baseline, a comment: the key is nowhere', async () => {
    const server = await startOpenAIServer(
      suiteProgramme({
        apiKey: INPUT_KEY,
        echoAuthorization: true,
        failures: { errorRate: 0.3, errorStatus: 400 },
        seed: 3,
      }),
    );
    const github = await startGithubServer({ tokens: { [GITHUB_TOKEN]: 'write' } });
    const inputs = {
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': INPUT_KEY,
      'warm-runs': '2',
      comment: 'always',
      'github-token': GITHUB_TOKEN,
    };
    const env = { GITHUB_API_URL: github.url };
    const baseline = await runAction(actionDir, { ...inputs, mode: 'baseline' }, { env });
    const gate = await runAction(actionDir, inputs, { env, workspace: baseline.workspace });
    expect(gate.result.stdout).toContain(`::add-mask::${INPUT_KEY}`);
    expect(gate.result.stdout).toContain(`::add-mask::${GITHUB_TOKEN}`);
    // The gateway did echo it: the redaction had something to do.
    const samples = readFileSync(join(gate.workspace, 'model-gate-report', 'samples.jsonl'), 'utf8');
    expect(samples).toContain('for Bearer ***');

    for (const run of [baseline, gate]) {
      expectNoSecret('action stdout', run.result.stdout);
      expectNoSecret('action stderr', run.result.stderr);
    }
    const files = filesUnder(gate.workspace);
    expect(files.map((file) => file.path.slice(gate.workspace.length + 1)).sort()).toEqual(
      expect.arrayContaining([
        'baselines/safety-checks/test-model.json',
        'github_output',
        'model-gate-report/comment.md',
        'model-gate-report/junit.xml',
        'model-gate-report/report.json',
        'model-gate-report/samples.jsonl',
        'model-gate-report/summary.md',
        'step_summary',
      ]),
    );
    for (const file of files) expectNoSecret(file.path, file.text);
    const { comments, requests } = await github.state();
    expect(comments.length).toBeGreaterThan(0);
    expectNoSecret('posted comments', JSON.stringify(comments));
    expectNoSecret('GitHub API requests', JSON.stringify(requests));
  });

  it('the CLI with keys from the environment, for a target and an embeddings endpoint, compared: the keys are nowhere', async () => {
    const programme = {
      apiKey: ENV_KEY,
      echoAuthorization: true,
      failures: { errorRate: 0.2, errorStatus: 400 },
      seed: 9,
    };
    const a = await startOpenAIServer(suiteProgramme({ ...programme, models: ['a'] }, 'slide-extraction'));
    const b = await startOpenAIServer(suiteProgramme({ ...programme, models: ['b'] }, 'slide-extraction'));
    const embeddings = await startOpenAIServer({ apiKey: EMBEDDINGS_KEY });
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-secrets-'));
    const config = join(dir, 'model-gate.yml');
    writeFileSync(
      config,
      [
        'suite: slide-extraction',
        'targets:',
        `  - { name: a, base-url: "${a.url}/v1", model: a, api-key-env: SCAN_KEY, compare-to: b }`,
        `  - { name: b, base-url: "${b.url}/v1", model: b, api-key-env: SCAN_KEY }`,
        `compare: { embeddings: { base-url: "${embeddings.url}/v1", model: e, api-key-env: SCAN_EMBED_KEY } }`,
        '',
      ].join('\n'),
    );
    const report = join(dir, 'report');
    const result = await runCli(['run', '--config', config, '--report-dir', report, '--warm-runs', '2'], {
      env: { SCAN_KEY: ENV_KEY, SCAN_EMBED_KEY: EMBEDDINGS_KEY },
    });
    expect(readReport(report).comparisons[0]!.similarity).toMatchObject({
      error: null,
    });
    expect(readFileSync(join(report, 'samples.jsonl'), 'utf8')).toContain('for Bearer ***');
    expectNoSecret('CLI stdout', result.stdout);
    expectNoSecret('CLI stderr', result.stderr);
    for (const file of filesUnder(report)) expectNoSecret(file.path, file.text);
  });
});

describe('secrets in URLs and cut-off echoes', () => {
  it("a key in the base URL's userinfo, with kind ollama, on a nightly run: nowhere, the tracking issue included", async () => {
    const ollama = await startOllamaServer();
    const github = await startGithubServer({ tokens: { [GITHUB_TOKEN]: 'write' } });
    const baseUrl = ollama.url.replace('http://', `http://gateway:${URL_KEY}@`);
    const run = await runAction(
      actionDir,
      { 'base-url': baseUrl, model: 'llava:7b', kind: 'ollama', 'github-token': GITHUB_TOKEN, 'warm-runs': '1' },
      { env: { GITHUB_API_URL: github.url }, event: { name: 'schedule', payload: {} } },
    );
    expect(run.outputs.verdict).toBe('error');
    expect(run.result.stdout).toContain(`::add-mask::${URL_KEY}`);
    expectNoSecret('action stdout', run.result.stdout);
    expectNoSecret('outputs', JSON.stringify(run.outputs));
    for (const file of filesUnder(run.workspace)) expectNoSecret(file.path, file.text);
    const { issues } = await github.state();
    expect(issues).toHaveLength(1);
    expectNoSecret('tracking issue', JSON.stringify(issues));
  });

  it('an embeddings base URL with a key in its query, failing: shown without it, and its key masked', async () => {
    const a = await startOpenAIServer(suiteProgramme({ models: ['a'] }, 'slide-extraction'));
    const b = await startOpenAIServer(suiteProgramme({ models: ['b'] }, 'slide-extraction'));
    const workspace = mkdtempSync(join(tmpdir(), 'model-gate-secrets-'));
    writeFileSync(
      join(workspace, 'model-gate.yml'),
      [
        'suite: slide-extraction',
        'targets:',
        `  - { name: a, base-url: "${a.url}/v1", model: a, compare-to: b }`,
        `  - { name: b, base-url: "${b.url}/v1", model: b }`,
        // Nothing listens on port 9: the similarity fails, and its error names the URL.
        `compare: { embeddings: { base-url: "http://127.0.0.1:9/v1?api-key=${QUERY_KEY}", model: e, api-key-env: SCAN_EMBED_KEY } }`,
        '',
      ].join('\n'),
    );
    const run = await runAction(
      actionDir,
      { config: 'model-gate.yml', 'warm-runs': '1' },
      { workspace, env: { SCAN_EMBED_KEY: EMBEDDINGS_KEY }, event: { name: 'push', payload: {} } },
    );
    expect(run.result.stdout).toContain(`::add-mask::${EMBEDDINGS_KEY}`);
    expect(readReport(join(workspace, 'model-gate-report')).comparisons[0]!.similarity?.error).toMatch(
      /^no similarity: POST http:\/\/127\.0\.0\.1:9\/v1\?api-key=\*\*\*\/embeddings failed/,
    );
    expectNoSecret('action stdout', run.result.stdout);
    // The config the user wrote holds the URL; nothing model-gate wrote does.
    for (const file of filesUnder(workspace).filter((entry) => !entry.path.endsWith('model-gate.yml')))
      expectNoSecret(file.path, file.text);
  });

  it('a key echoed across the cut of an error body is redacted, not left in part', async () => {
    // A word that merely starts like a key, at the end of a text, stays.
    expect(redactor(['test-model-key'])('the model test')).toBe('the model test');
    // The unit first: every cut through the key.
    const redact = redactor([INPUT_KEY]);
    for (let cut = 1; cut < INPUT_KEY.length; cut += 1) {
      const shown = redact(`denied for Bearer ${INPUT_KEY}`.slice(0, 18 + cut));
      expect({ cut, shown }).toEqual({ cut, shown: cut >= 8 ? 'denied for Bearer ***' : shown });
    }
    // Then through the CLI: a gateway's long error body that ends inside the echoed key.
    const padding = 'x'.repeat(270);
    const server = await startOpenAIServer(
      suiteProgramme({
        apiKey: INPUT_KEY,
        echoAuthorization: true,
        failures: { errorRate: 1, errorStatus: 400, errorMessage: padding },
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-secrets-'));
    const result = await runCli(
      [
        'run',
        '--base-url',
        `${server.url}/v1`,
        '--model',
        'test-model',
        '--api-key-env',
        'SCAN_KEY',
        '--report-dir',
        dir,
      ],
      { env: { SCAN_KEY: INPUT_KEY } },
    );
    const samples = readFileSync(join(dir, 'samples.jsonl'), 'utf8');
    // The body was cut inside the key: what is left of it is redacted.
    expect(samples).toMatch(/x for Bearer \*\*\*"/);
    for (const part of [INPUT_KEY.slice(0, 12), INPUT_KEY.slice(0, 20)]) {
      expect(samples).not.toContain(part);
      expect(result.stdout + result.stderr).not.toContain(part);
    }
  });

  it('cold-start.ready-url on another host does not get the API key', async () => {
    const seen: (string | undefined)[] = [];
    const health = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end('ok');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const port = (health.address() as { port: number }).port;
    try {
      const server = await startOpenAIServer(suiteProgramme({ apiKey: INPUT_KEY }));
      const dir = mkdtempSync(join(tmpdir(), 'model-gate-secrets-'));
      const config = join(dir, 'model-gate.yml');
      writeFileSync(
        config,
        `targets:\n  - name: m\n    base-url: "${server.url}/v1"\n    model: test-model\n    api-key-env: SCAN_KEY\n    cold-start: { command: "true", ready-url: "http://localhost:${port}/health" }\n`,
      );
      const result = await runCli(
        ['run', '--config', config, '--report-dir', join(dir, 'report'), '--warm-runs', '1'],
        {
          env: { SCAN_KEY: INPUT_KEY },
        },
      );
      expect(result.code).not.toBe(2);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((header) => header === undefined)).toBe(true);
    } finally {
      health.close();
    }
  });
});
