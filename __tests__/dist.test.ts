// The committed bundle, run as GitHub's runner runs it (helpers/action.ts): `node dist/index.js`
// from a folder with no node_modules, inputs in INPUT_* variables, outputs and summary through files.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { reportSchema } from '../src/report/report.js';
import { loadSuite, loadSuiteFile } from '../src/suite/load.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { copyAction, runAction as runActionIn } from './helpers/action.js';
import { runProcess } from './helpers/processes.js';
import {
  REPO_ROOT,
  startGithubServer,
  startOpenAIServer,
  stopAllServers,
  type GithubServer,
  type TestServer,
} from './helpers/servers.js';
import { readReport, samplesWritten, tempDir } from './helpers/runs.js';

let server: TestServer;
let actionDir: string;
// What the runner gives every step on a pull request: the workflow's token and the API it talks to,
// which the gate reads the base commit's baselines from (this one has none).
let github: GithubServer;

beforeAll(async () => {
  github = await startGithubServer({ tokens: { 'ghs_runner-token': 'write' } }, 600);
  server = await startOpenAIServer(suiteProgramme({ apiKey: 'sk-dist-test-0a9b8c' }));
  actionDir = copyAction();
});
afterAll(stopAllServers);

const runAction = (inputs: Record<string, string>, options: Parameters<typeof runActionIn>[2] = {}) =>
  runActionIn(
    actionDir,
    { 'github-token': 'ghs_runner-token', ...inputs },
    { ...options, env: { GITHUB_API_URL: github.url, ...options.env } },
  );
/** A run on the main branch (a push), where the working tree's baselines are the trusted ones. */
const PUSH = { name: 'push', payload: { ref: 'refs/heads/main' } };

describe('dist/index.js as the runner runs it', () => {
  it('has no node_modules to lean on', () => {
    for (let dir = actionDir; dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('the bundled CLI renders the default size with the sharp shipped in dist, the committed images byte for byte and the generated ones as the sources do', async () => {
    const out = mkdtempSync(join(tmpdir(), 'model-gate-dist-render-'));
    const result = await runProcess(
      process.execPath,
      [join(actionDir, 'dist', 'cli', 'index.js'), 'render', 'safety-checks', '--out', out, '--fresh'],
      { cwd: actionDir, env: { PATH: process.env.PATH } },
    );
    expect(result.stdout).toBe(
      `299 images of safety-checks written to ${out}\nRe-rendered images are byte-identical to the committed ones.\n`,
    );
    expect(result.code).toBe(0);
    const fromSources = await loadSuite('safety-checks', 'standard');
    for (const scenario of fromSources.scenarios) {
      const file = join(out, `${scenario.id}.${scenario.image!.mediaType === 'image/jpeg' ? 'jpg' : 'png'}`);
      expect({ scenario: scenario.id, same: readFileSync(file).equals(scenario.image!.bytes) }).toEqual({
        scenario: scenario.id,
        same: true,
      });
    }
  });

  it('runs the suite, sets the outputs, writes the step summary and the report', async () => {
    const { workspace, result, outputs, summary } = await runAction({
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': 'sk-dist-test-0a9b8c',
      'min-detection-rate-pct': '80',
      'warm-runs': '2',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('::add-mask::sk-dist-test-0a9b8c');
    expect(result.stdout.replace('::add-mask::sk-dist-test-0a9b8c', '')).not.toContain('sk-dist-test-0a9b8c');
    expect(result.stdout).toMatch(/^\[19\/19\] test-model · clean-migraine · warm run 2 · \d+ ms · clean$/m);
    expect(outputs.verdict).toBe('no-baseline');
    expect(outputs.regressions).toBe('0');
    expect(result.stdout).toMatch(
      /^::warning::No baseline for target "test-model" \(baselines\/safety-checks\/test-model\.json\)/m,
    );
    expect(outputs.report).toBe(join('model-gate-report', 'report.json'));
    expect(outputs['report-dir']).toBe('model-gate-report');
    expect(outputs.summary).toMatch(
      /^no-baseline: No baseline for target "test-model" .* — test-model: detection 100\.0 %, false positives 0\.0 %, JSON valid 100\.0 %, errors 0\.0 %, warm p95 \d+(\.\d)? ms$/,
    );
    const report = reportSchema.parse(JSON.parse(readFileSync(join(workspace, outputs.report!), 'utf8')));
    expect(report.targets[0]!.measurement!.metrics.detectionRatePct).toEqual({ value: 100, n: 10, count: 10 });
    expect(summary).toContain('## model-gate: ℹ️ no-baseline');
    expect(summary).toContain('| Detection rate | 100.0 % | 10/10 |');
    expect(existsSync(join(workspace, 'model-gate-report', 'samples.jsonl'))).toBe(true);
    const junit = readFileSync(join(workspace, 'model-gate-report', 'junit.xml'), 'utf8');
    // The nine scenarios and the min-detection-rate-pct threshold, all passed.
    expect(junit).toMatch(/<testsuite name="model-gate safety-checks · test-model" tests="10" failures="0"/);
    expect(junit).toContain('<testcase classname="model-gate.test-model.thresholds" name="min-detection-rate-pct"/>');
  });

  it('writes a baseline in the workspace, then gates against it', async () => {
    // An unchanged server with a latency of its own: at zero latency the figures are only this
    // machine's load, which other test files running alongside change between the two runs.
    await server.setProgramme(
      suiteProgramme({ apiKey: 'sk-dist-test-0a9b8c', latency: { ttftMs: 20, perTokenMs: 1 } }),
    );
    const inputs = {
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': 'sk-dist-test-0a9b8c',
      'warm-runs': '2',
    };
    const first = await runAction({ ...inputs, mode: 'baseline' }, { event: PUSH });
    expect(first.result.code).toBe(0);
    expect(first.outputs.verdict).toBe('pass');
    expect(existsSync(join(first.workspace, 'baselines', 'safety-checks', 'test-model.json'))).toBe(true);
    const second = await runAction(inputs, { workspace: first.workspace, event: PUSH });
    expect(second.result.code).toBe(0);
    expect(second.outputs.verdict).toBe('pass');
    expect(second.outputs.regressions).toBe('0');
    expect(second.summary).toContain('| Metric | Baseline | Current | Change | Verdict | Could detect | Based on |');
    // Trend charts for the artifact: SVG, and PNG through the sharp shipped in dist/node_modules.
    const charts = readdirSync(join(second.workspace, 'model-gate-report', 'charts'));
    expect(charts).toContain('test-model-warmLatencyP50Ms.svg');
    expect(
      readFileSync(join(second.workspace, 'model-gate-report', 'charts', 'test-model-trends.png'))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('posts the comment on the pull request of the event, then updates it in place', async () => {
    const github = await startGithubServer({ tokens: { 'ghs_dist-token': 'write' } });
    const inputs = {
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': 'sk-dist-test-0a9b8c',
      'warm-runs': '1',
      comment: 'always',
      'github-token': 'ghs_dist-token',
    };
    const env = { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com' };
    const first = await runAction(inputs, { env });
    expect(first.result.code).toBe(0);
    expect(first.result.stdout).toContain('::add-mask::ghs_dist-token');
    const state = await github.state();
    let { comments } = state;
    const { requests } = state;
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ issue: 42, user: { type: 'Bot' } });
    expect(comments[0]!.body.startsWith('<!-- model-gate:model-gate/default -->\n## model-gate: ℹ️ no-baseline')).toBe(
      true,
    );
    expect(comments[0]!.body).toContain('[workflow run](https://github.com/acme/clinic-bots/actions/runs/9001)');
    expect(requests.map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual([
      // The base commit's baseline: none, as in the workspace.
      'GET /repos/acme/clinic-bots/contents/baselines%2Fsafety-checks%2Ftest-model.json',
      // Who the token writes as, so that only its own comment is found again.
      'POST /graphql',
      'GET /repos/acme/clinic-bots/issues/42/comments',
      'POST /repos/acme/clinic-bots/issues/42/comments',
    ]);
    expect(first.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    const again = await runAction(inputs, { env });
    ({ comments } = await github.state());
    expect(comments).toHaveLength(1);
    expect(again.outputs['comment-url']).toBe(first.outputs['comment-url']);
    expect(readFileSync(join(again.workspace, 'model-gate-report', 'comment.md'), 'utf8')).toBe(comments[0]!.body);
  });

  it('a read-only token leaves the gate result alone and says why there is no comment', async () => {
    const github = await startGithubServer({ tokens: { ghs_read: 'read' } });
    const { result, outputs } = await runAction(
      {
        'base-url': `${server.url}/v1`,
        model: 'test-model',
        'api-key': 'sk-dist-test-0a9b8c',
        'warm-runs': '1',
        comment: 'always',
        'github-token': 'ghs_read',
      },
      { env: { GITHUB_API_URL: github.url } },
    );
    expect(result.code).toBe(0);
    expect(outputs.verdict).toBe('no-baseline');
    expect(result.stdout).toContain('::notice::No pull-request comment: the token may not write comments (HTTP 403).');
  });

  it('fails the step when a threshold is not met', async () => {
    const { result, outputs, summary } = await runAction({
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': 'sk-dist-test-0a9b8c',
      'max-warm-latency-p95-ms': '0',
      'warm-runs': '1',
    });
    expect(result.code).toBe(1);
    expect(outputs.verdict).toBe('fail');
    expect(result.stdout).toMatch(
      /^::error::1 of 1 thresholds not met: warmLatencyP95Ms [\d.]+ > 0 \(max-warm-latency-p95-ms\) on test-model\.$/m,
    );
    expect(summary).toContain('| Warm latency p95 ❌ |');
  });

  it('names the input, not a flag, when an input is wrong', async () => {
    const { result, outputs, workspace } = await runAction({
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'warm-runs': 'three',
    });
    expect(result.code).toBe(1);
    expect(outputs.verdict).toBe('error');
    expect(result.stdout).toContain('::error::input "warm-runs" is "three": expected a whole number from 1 to 1000.');
    expect(existsSync(join(workspace, 'model-gate-report', 'report.json'))).toBe(true);
  });

  it('a wrong comment input is named, and the report is written all the same', async () => {
    const { result, workspace } = await runAction({
      'base-url': `${server.url}/v1`,
      model: 'test-model',
      'api-key': 'sk-dist-test-0a9b8c',
      'warm-runs': '1',
      comment: 'sometimes',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '::error::input "comment" is "sometimes": expected always, on-regression or never.',
    );
    expect(existsSync(join(workspace, 'model-gate-report', 'report.json'))).toBe(true);
  });

  it("runs a user's suite from the workspace, rendering its screens with the sharp shipped in dist", async () => {
    const suite = await loadSuiteFile(join(REPO_ROOT, 'examples', 'custom-suite', 'invoice-checks.yml'));
    const answers = Object.fromEntries(
      suite.scenarios.map((scenario) => [
        scenario.image!.sha256,
        {
          hit: JSON.stringify({ problems: scenario.anomaly ? [{ field: scenario.keywords[0], reason: 'wrong' }] : [] }),
          miss: '{"problems": []}',
        },
      ]),
    );
    const invoices = await startOpenAIServer({ models: ['test-model'], answers });
    const workspace = mkdtempSync(join(tmpdir(), 'model-gate-workspace-'));
    cpSync(join(REPO_ROOT, 'examples', 'custom-suite'), join(workspace, '.github', 'model-gate'), { recursive: true });
    const { result, outputs } = await runAction(
      {
        'base-url': `${invoices.url}/v1`,
        model: 'test-model',
        suite: '.github/model-gate/invoice-checks.yml',
        'warm-runs': '1',
      },
      { workspace },
    );
    expect(result.code).toBe(0);
    expect(outputs.verdict).toBe('no-baseline');
    const report = readReport(join(workspace, 'model-gate-report'));
    expect(report.suite).toMatchObject({
      id: 'invoice-checks',
      fingerprint: suite.fingerprint,
      file: '.github/model-gate/invoice-checks.yml',
    });
    expect(report.targets[0]!.measurement!.metrics.detectionRatePct).toEqual({ value: 100, n: 3, count: 3 });
  });

  it('a GitHub API that trickles does not hold a cancelled job: every call ends with the cancellation', async () => {
    const trickling = await startGithubServer({ tokens: { 'ghs_runner-token': 'write' }, trickle: true });
    let pid = 0;
    const running = runAction(
      { 'base-url': `${server.url}/v1`, model: 'test-model', 'api-key': 'sk-dist-test-0a9b8c', comment: 'always' },
      { onStart: (value) => (pid = value), env: { GITHUB_API_URL: trickling.url } },
    );
    // Once the action waits on the API (the base commit's baseline), the job is cancelled.
    const deadline = Date.now() + 60_000;
    while ((await trickling.state()).requests.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const cancelledAt = Date.now();
    process.kill(pid, 'SIGTERM');
    const { result, outputs } = await running;
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    expect(outputs.verdict).toBe('error');
  });

  it('writes a partial report when the job is cancelled (SIGTERM)', async () => {
    await server.setProgramme(suiteProgramme({ apiKey: 'sk-dist-test-0a9b8c', latency: { ttftMs: 200 } }));
    let pid = 0;
    const workspace = tempDir('model-gate-workspace-');
    const running = runAction(
      { 'base-url': `${server.url}/v1`, model: 'test-model', 'api-key': 'sk-dist-test-0a9b8c' },
      { onStart: (value) => (pid = value), workspace },
    );
    // Mid-run: once a few calls are on disk, however long this machine took to start the action.
    await samplesWritten(join(workspace, 'model-gate-report'), 3);
    process.kill(pid, 'SIGTERM');
    const { result, outputs } = await running;
    expect(result.code).toBe(1);
    expect(outputs.verdict).toBe('error');
    const report = readReport(join(workspace, 'model-gate-report'));
    expect(report.status).toBe('cancelled');
    const lines = readFileSync(join(workspace, 'model-gate-report', 'samples.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBe(report.targets[0]!.completedCalls);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(28);
  });
});
