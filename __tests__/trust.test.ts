// What a gate run trusts, through the CLI (from source) against the test server: the baselines of
// a trusted git revision over the working tree's, baselines that must agree with themselves, no
// pass from a baseline that compares nothing, and no baseline from a run that mostly failed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselineSchema } from '../src/gate/baseline.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { copyAction, runAction } from './helpers/action.js';
import { runCli } from './helpers/processes.js';
import { REPO_ROOT, startGithubServer, startOpenAIServer, stopAllServers, type TestServer } from './helpers/servers.js';
import { readReport, tempDir } from './helpers/runs.js';

const LATENCY = { ttftMs: 12, perTokenMs: 0.25, jitterPct: 4 };
const SLOW = { ttftMs: 120, perTokenMs: 2.5, jitterPct: 4 };
// Three repeats of the nine smoke scenarios: enough latency samples, few calls to the slow server.
const REPEATS = ['--warm-runs', '3'];
let fast: TestServer;
let slow: TestServer;

beforeAll(async () => {
  [fast, slow] = await Promise.all([
    startOpenAIServer(suiteProgramme({ latency: LATENCY }), 600),
    startOpenAIServer(suiteProgramme({ latency: SLOW }), 600),
  ]);
});
afterAll(stopAllServers);

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });

async function modelGate(cwd: string, command: 'run' | 'baseline', server: TestServer, flags: string[] = []) {
  const reportDir = tempDir('model-gate-trust-report-');
  const result = await runCli(
    [
      command,
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--report-dir',
      reportDir,
      ...REPEATS,
      ...flags,
    ],
    { cwd },
  );
  return {
    result,
    report: readReport(reportDir),
    summary: readFileSync(join(reportDir, 'summary.md'), 'utf8'),
  };
}

const BASELINE = join('baselines', 'safety-checks', 'test-model.json');

/** The parts of a baseline file these tests edit, as JSON.parse gives them. */
interface BaselineJson {
  runs: { warmLatencyMs: Record<string, number[]>; scenarios: { detected: number }[] }[];
}
const readBaselineJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as BaselineJson;

describe('trusted baselines', () => {
  it('a change that rewrites its own baseline for a 10× slower model is compared with the trusted revision', async () => {
    const repo = tempDir('model-gate-trust-repo-');
    git(repo, 'init', '-q', '-b', 'main');
    expect((await modelGate(repo, 'baseline', fast)).result.code).toBe(0);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'baseline');
    // The change: a slow model, and a baseline measured on it, consistent with itself.
    git(repo, 'checkout', '-qb', 'slow-model');
    rmSync(join(repo, BASELINE));
    expect((await modelGate(repo, 'baseline', slow)).result.code).toBe(0);
    git(repo, 'commit', '-qam', 'new baseline');

    // Trusting the working tree, the slow model passes against its own baseline: the hole.
    expect((await modelGate(repo, 'run', slow)).report.verdict).toBe('pass');

    const { result, report, summary } = await modelGate(repo, 'run', slow, ['--baseline-ref', 'main']);
    expect(result.code).toBe(1);
    expect(report.verdict).toBe('fail');
    expect(report.metricVerdicts.find((verdict) => verdict.metric === 'warmLatencyP50Ms')).toMatchObject({
      status: 'regressed',
    });
    expect(report.baselines[0]).toMatchObject({
      path: `${BASELINE} at revision main`,
      status: 'compared',
      change: { status: 'not-accepted', trustedSource: 'revision main', acceptance: null },
    });
    expect(report.verdictReason).toContain(
      `The run's own baseline ${BASELINE} differs from revision main's, and no reviewer has accepted the change, so the run was compared with revision main's. To accept it, run without baseline-ref, which compares with the working tree's baselines.`,
    );
    // The two baselines side by side: the base's latency and the change's ten times more.
    expect(summary).toContain('🔒 **This pull request changes its baseline, and no reviewer has accepted the change**');
    const row = summary.split('\n').find((line) => line.startsWith('| Warm latency p50 | '))!;
    const [base, proposed] = row
      .split('|')
      .slice(2, 4)
      .map((cell) => Number.parseFloat(cell));
    expect(proposed! / base!).toBeGreaterThan(5);

    // A revision without the file: the trusted side has no baseline, whatever the working tree holds.
    git(repo, 'checkout', '-q', '--orphan', 'empty');
    git(repo, 'rm', '-rqf', '--cached', '.');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'nothing');
    git(repo, 'checkout', '-qf', 'slow-model');
    const none = await modelGate(repo, 'run', slow, ['--baseline-ref', 'empty']);
    expect(none.report.baselines[0]).toMatchObject({ status: 'missing', change: { status: 'not-accepted' } });
    expect(none.report.verdict).toBe('fail');
  }, 300_000);

  it('a baseline whose shown metrics disagree with its own samples is refused, naming the file and the metric', async () => {
    const dir = tempDir('model-gate-trust-');
    await modelGate(dir, 'baseline', fast);
    const path = join(dir, BASELINE);
    const original = readFileSync(path, 'utf8');
    const baseline = JSON.parse(original) as BaselineJson;
    // The metrics the tables show are kept; the samples the tests read are multiplied by 20.
    for (const values of Object.values(baseline.runs[0]!.warmLatencyMs))
      values.forEach((value, index) => (values[index] = value * 20));
    writeFileSync(path, JSON.stringify(baseline));
    const { result, report } = await modelGate(dir, 'run', slow);
    expect(result.code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', error: { kind: 'baseline' } });
    expect(report.verdictReason).toMatch(
      new RegExp(
        `^Baseline file ${BASELINE.replace(/[/.]/g, '\\$&')}: runs\\[0\\]\\.metrics\\.warmLatencyMeanMs says [\\d.]+, but the run's own counts and samples give [\\d.]+\\. The file was edited by hand or damaged`,
      ),
    );
    // Counts beyond what a scenario ran are refused the same way.
    const counts = JSON.parse(original) as BaselineJson;
    counts.runs[0]!.scenarios[0]!.detected = 1e9;
    writeFileSync(path, JSON.stringify(counts));
    const counted = await modelGate(dir, 'run', fast);
    expect(counted.report.verdictReason).toMatch(/^Baseline file \S+: runs\[0\]\.scenarios\[0\]\.detected: /);
  });

  it('a baseline that holds no measurement never passes', async () => {
    const dir = tempDir('model-gate-trust-');
    await modelGate(dir, 'baseline', fast);
    const path = join(dir, BASELINE);
    const baseline = baselineSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    const run = baseline.runs[0]!;
    const empty = {
      ...baseline,
      runs: [
        {
          ...run,
          scenarios: [],
          ...Object.fromEntries(
            ['warmLatencyMs', 'ttftMs', 'outputTokensPerSecond', 'interTokenMeanMs', 'interTokenP95Ms'].map(
              (series) => [series, {}],
            ),
          ),
          coldStartMs: null,
          metrics: Object.fromEntries(Object.keys(run.metrics).map((name) => [name, null])),
        },
      ],
    };
    writeFileSync(path, JSON.stringify(empty));
    // A model that fails half its calls and detects nothing.
    const broken = await startOpenAIServer(
      suiteProgramme({ quality: { hitRate: 0 }, failures: { errorRate: 0.48, errorStatus: 500 } }),
    );
    const { report } = await modelGate(dir, 'run', broken, ['--retries', '0']);
    expect(report.verdict).toBe('incomparable');
    expect(report.verdictReason).toBe(
      `No metric of target "test-model" could be compared with its baseline ${BASELINE}: it holds no measurement of the scenarios this run measured. Write a new one with mode: baseline (CLI: model-gate baseline) and commit it.`,
    );
  });

  it('baseline mode refuses a run that mostly failed, and writes nothing', async () => {
    const dir = tempDir('model-gate-trust-');
    const failing = await startOpenAIServer(
      suiteProgramme({ failures: { errorRate: 0.85, errorStatus: 500 }, seed: 3 }),
    );
    const { result, report } = await modelGate(dir, 'baseline', failing, ['--retries', '0']);
    expect(result.code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', error: { kind: 'baseline' } });
    expect(report.verdictReason).toMatch(
      /^No baseline was written: \d+ of 27 calls to target "test-model" failed \(http-500\), and a baseline from a run that mostly failed would let any later run pass\. Make the server answer, then run baseline mode again\.$/,
    );
    expect(existsSync(join(dir, BASELINE))).toBe(false);
  });

  it('scenario ids are keys, not properties: a scenario and a category named constructor measure like any other', async () => {
    const dir = tempDir('model-gate-trust-');
    mkdirSync(join(dir, 'suite'));
    const suite = join(dir, 'suite', 'keys.yaml');
    writeFileSync(
      suite,
      [
        'id: keys',
        'version: 1',
        'title: Keys',
        'description: Scenario ids that are also property names.',
        'prompt: Call the tool the request asks for.',
        'output: { schema: {} }',
        'scorer: { kind: tool-call }',
        'tools:',
        '  - name: open_app',
        '    description: Open a desktop application.',
        '    parameters: { type: object, properties: { app: { type: string } }, required: [app] }',
        '  - name: volume',
        '    description: Change the sound volume.',
        '    parameters: { type: object, properties: { level: { type: number } }, required: [level] }',
        'scenarios:',
        '  - { id: constructor, category: constructor, prompt: open chrome, expect: { tool: open_app, keywords: [chrome] } }',
        '  - { id: volume-up, category: constructor, prompt: volume to ten, expect: { tool: volume } }',
        '',
      ].join('\n'),
    );
    const server = await startOpenAIServer(suiteProgramme({ latency: LATENCY }, suite));
    const written = await modelGate(dir, 'baseline', server, ['--suite', suite]);
    expect(written.report.verdictReason).toMatch(/^Baseline written/);
    const baseline = readBaselineJson(join(dir, 'baselines', 'keys', 'test-model.json'));
    expect(Object.keys(baseline.runs[0]!.warmLatencyMs).sort()).toEqual(['constructor', 'volume-up']);
    const gated = await modelGate(dir, 'run', server, ['--suite', suite]);
    expect(gated.report.verdict).toBe('pass');
  });
});

// The bundled action on a pull_request event, as the runner runs it: the base commit's baseline
// read through the contents API of the GitHub REST API test server, the accept label honoured.
describe('the action on a pull request', () => {
  const BASE_SHA = '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
  const HEAD_SHA = '9f1c2d3e4b5a69788766554433221100ffeeddcc';
  const BEFORE_SHA = '1111111111111111111111111111111111111111';
  const fixture = JSON.parse(readFileSync(join(REPO_ROOT, '__tests__', 'fixtures', 'pull_request.json'), 'utf8')) as {
    pull_request: Record<string, unknown>;
  };
  const event = (changes: Record<string, unknown>, labels: string[] = []) => ({
    name: 'pull_request',
    payload: {
      ...fixture,
      ...changes,
      pull_request: { ...fixture.pull_request, labels: labels.map((name) => ({ name })) },
    },
  });
  let actionDir: string;
  let trustedText: string;
  let weakenedText: string;
  beforeAll(async () => {
    actionDir = copyAction();
    // The base branch's baseline, measured on the fast server; the pull request's, on the slow one.
    const dir = tempDir('model-gate-trust-');
    await modelGate(dir, 'baseline', fast);
    trustedText = readFileSync(join(dir, BASELINE), 'utf8');
    rmSync(join(dir, BASELINE));
    await modelGate(dir, 'baseline', slow);
    weakenedText = readFileSync(join(dir, BASELINE), 'utf8');
  }, 120_000);

  async function gateOnPullRequest(
    eventOf: ReturnType<typeof event>,
    contents: Record<string, Record<string, string>>,
    own = weakenedText,
    inputs: Record<string, string> = {},
  ) {
    const github = await startGithubServer({
      tokens: { 'ghs_pr-token': 'write' },
      contents,
      issueEvents: { '42': [{ event: 'labeled', label: { name: 'model-gate:accept' }, actor: { login: 'rev-bob' } }] },
    });
    const workspace = tempDir('model-gate-trust-workspace-');
    mkdirSync(join(workspace, 'baselines', 'safety-checks'), { recursive: true });
    writeFileSync(join(workspace, BASELINE), own);
    const run = await runAction(
      actionDir,
      {
        'base-url': `${slow.url}/v1`,
        model: 'test-model',
        'warm-runs': '3',
        'github-token': 'ghs_pr-token',
        ...inputs,
      },
      { workspace, event: eventOf, env: { GITHUB_API_URL: github.url } },
    );
    const { comments, requests } = await github.state();
    return { ...run, comments, requests };
  }

  it("ignores the pull request's own baseline, fails, and posts the comment with both side by side", async () => {
    const { result, outputs, comments, requests } = await gateOnPullRequest(event({}), {
      [BASE_SHA]: { [BASELINE]: trustedText },
    });
    expect(result.code).toBe(1);
    expect(outputs.verdict).toBe('fail');
    expect(requests.map((request) => `${request.method} ${request.path}`)).toContain(
      `GET /repos/acme/clinic-bots/contents/baselines%2Fsafety-checks%2Ftest-model.json?ref=${BASE_SHA}`,
    );
    expect(result.stdout).toMatch(
      /::error::.*The run's own baseline baselines\/safety-checks\/test-model\.json differs from the base commit 0a1b2c3's, and no reviewer has accepted the change, so the run was compared with the base commit 0a1b2c3's\. To accept it, add the label model-gate:accept to the pull request after its last change to the baselines \(or remove it and add it again\)\./,
    );
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(
      '🔒 **This pull request changes its baseline, and no reviewer has accepted the change**',
    );
    expect(comments[0]!.body).toMatch(/\| Warm latency p50 \| \d+ ms \| \d+ ms \|/);
  });

  it("with the accept label, compares with the pull request's baseline and names who accepted it", async () => {
    const { result, outputs, comments } = await gateOnPullRequest(event({}, ['model-gate:accept']), {
      [BASE_SHA]: { [BASELINE]: trustedText },
    });
    expect(outputs.verdict).toBe('pass');
    expect(result.code).toBe(0);
    // The comment is posted although nothing regressed: the baseline changed.
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(
      '🔓 **This pull request changes its baseline, and the change was accepted by @rev-bob** (label `model-gate:accept`)',
    );
  });

  it('a push that changes the baseline after the label was added is not covered by it', async () => {
    const { outputs, comments } = await gateOnPullRequest(
      event({ action: 'synchronize', before: BEFORE_SHA }, ['model-gate:accept']),
      {
        [BASE_SHA]: { [BASELINE]: trustedText },
        [BEFORE_SHA]: { [BASELINE]: trustedText },
        [HEAD_SHA]: { [BASELINE]: weakenedText },
      },
    );
    expect(outputs.verdict).toBe('fail');
    expect(comments[0]!.body).toContain('🔒');
  });

  it('a change of a compared setting fails until a reviewer accepts it, and says so in the comment', async () => {
    const { result, outputs, comments } = await gateOnPullRequest(
      event({}),
      { [BASE_SHA]: { [BASELINE]: trustedText } },
      trustedText,
      { temperature: '0.5' },
    );
    expect(outputs.verdict).toBe('fail');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error::The baseline .+ was measured with other settings \(temperature 0 → 0\.5\).* To accept the new setup, add the label model-gate:accept/m,
    );
    expect(comments).toHaveLength(1);
    const accepted = await gateOnPullRequest(
      event({}, ['model-gate:accept']),
      { [BASE_SHA]: { [BASELINE]: trustedText } },
      trustedText,
      { temperature: '0.5' },
    );
    expect(accepted.outputs.verdict).toBe('incomparable');
    expect(accepted.result.code).toBe(0);
  });
});
