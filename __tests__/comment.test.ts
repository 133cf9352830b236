// The sticky pull-request comment: the body (pure) and its publication through a real octokit
// against the GitHub REST API test server on 127.0.0.1.
import { pullRequest } from './helpers/context.js';
import { afterAll, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import { octokitCommentApi, publishComment } from '../src/github/comment.js';
import type { RunContext } from '../src/github/context.js';
import type { OctokitIssues } from '../src/github/octokit.js';
import { commentMarkerFor } from '../src/report/comment.js';
import { COMMENT_MAX_CHARS, commentBody } from '../src/report/comment.js';
import type { Report, TargetReport } from '../src/report/report.js';
import type { Metrics } from '../src/measure/metrics.js';
import { SCORE_METRIC_NAMES } from '../src/metric-catalog.js';
import { startGithubServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

const marker = commentMarkerFor('model-gate/safety-checks');
const prContext: RunContext = {
  eventName: 'pull_request',
  repository: { owner: 'acme', repo: 'clinic-bots' },
  pullRequest: pullRequest(42),
  runUrl: 'https://github.com/acme/clinic-bots/actions/runs/7',
  workflow: 'model-gate',
};
const apiFor = (url: string, token: string) =>
  octokitCommentApi(getOctokit(token, { baseUrl: url }) as unknown as OctokitIssues, 'acme', 'clinic-bots');

function metric(value: number | null, n = 27, count?: number) {
  return count === undefined ? { value, n } : { value, n, count };
}

function target(name: string, excerpt: string): TargetReport {
  const metrics = {
    detectionRatePct: metric(80, 15, 12),
    falsePositiveRatePct: metric(8.33, 12, 1),
    jsonValidRatePct: metric(100, 27, 27),
    schemaValidRatePct: metric(100, 27, 27),
    errorRatePct: metric(0, 27, 0),
    coldStartMs: metric(5400, 1),
    warmLatencyMeanMs: metric(812),
    warmLatencyP50Ms: metric(790),
    warmLatencyP95Ms: metric(1210),
    ttftP50Ms: metric(180),
    ttftP95Ms: metric(240),
    outputTokensPerSecond: metric(41.5),
    serverTokensPerSecond: { value: null, n: 0 },
    truncatedRatePct: { value: 0, n: 80, count: 0 },
    interTokenMeanMs: metric(24.1),
    interTokenP95Ms: metric(31.7),
    ...Object.fromEntries(SCORE_METRIC_NAMES.map((name) => [name, { value: null, n: 0 }])),
  } as Metrics;
  return {
    name,
    kind: 'openai',
    baseUrl: 'http://127.0.0.1:8000/v1',
    model: 'qwen2.5-vl',
    jsonMode: 'json_object',
    preflight: { ok: true, diagnosis: null, servedModels: ['qwen2.5-vl'], serverVersion: null },
    coldStart: { method: 'first-call', detail: 'no cold-start command' },
    retries: null,
    outages: [],
    serverLog: null,
    serverTimings: null,
    plannedCalls: 28,
    completedCalls: 28,
    confirmationCalls: 0,
    measurement: { metrics, categories: { identity: metrics, clean: metrics }, scenarios: [], coldStart: null },
    cost: null,
    stopped: null,
    flips: [{ scenario: 'diagnosis-empty', before: true, now: false }],
    trends: { warmLatencyP50Ms: [780, 801, 790], detectionRatePct: [100, 100, 80] },
    notableSamples: Array.from({ length: 20 }, (_, index) => ({
      scenario: `scenario-${index}`,
      run: 1,
      problem: 'missed' as const,
      excerpt,
      errorClass: null,
      errorMessage: null,
    })),
  };
}

function report(targets: TargetReport[]): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'model-gate', version: '0.1.0' },
    status: 'complete',
    verdict: 'fail',
    verdictReason: '1 regression beyond margin and noise.',
    mode: 'gate',
    regressions: targets.length,
    startedAt: '',
    finishedAt: '',
    suite: { id: 'safety-checks', version: 1, title: 't', fingerprint: `sha256:${'ab'.repeat(32)}`, scenarios: 9 },
    settings: { warmRuns: 3, concurrency: 1, timeoutMs: 120000, temperature: 0, maxTokens: 512 },
    thresholds: {},
    targets,
    thresholdChecks: [],
    gate: { alpha: 0.01, onRegression: 'fail', confirmRuns: true, confirmed: false },
    baselines: targets.map((entry) => ({
      target: entry.name,
      path: `baselines/safety-checks/${entry.name}.json`,
      status: 'compared' as const,
      runs: 3,
      reason: null,
    })),
    comparisons: [],
    shard: null,
    metricVerdicts: targets.flatMap((entry) => [
      {
        target: entry.name,
        metric: 'detectionRatePct' as const,
        status: 'regressed' as const,
        baseline: 100,
        current: 80,
        change: -20,
        changeUnit: 'points' as const,
        margin: 5,
        pValue: 0.0001,
        threshold: 0.001,
        interval: null,
        reason: 'worse by more than the margin and significant',
        suspicious: false,
        detectable: 12.5,
        basis: null,
        baselineRuns: null,
      },
      {
        target: entry.name,
        metric: 'warmLatencyP50Ms' as const,
        status: 'within-noise' as const,
        baseline: 780,
        current: 790,
        change: 1.3,
        changeUnit: '%' as const,
        margin: 10,
        pValue: 0.4,
        threshold: 0.002,
        interval: [-3, 6] as [number, number],
        reason: 'change within the margin',
        suspicious: false,
        detectable: 12.5,
        basis: null,
        baselineRuns: null,
      },
    ]),
    error: null,
    files: { samples: 'samples.jsonl', summary: 'summary.md', comment: 'comment.md', junit: 'junit.xml' },
  };
}

describe('comment body', () => {
  it('names the first 40 flipped scenarios and counts the rest', () => {
    const many = target('awq', 'ok');
    many.flips = Array.from({ length: 45 }, (_, index) => ({
      scenario: `record-${index}`,
      before: index % 9 !== 0,
      now: index % 9 === 0,
    }));
    const body = commentBody(report([many]), { marker, runUrl: prContext.runUrl });
    expect(body).toContain('Scenarios that flipped: 40 passed in the baseline and fail now, 5 failed and pass now.');
    expect(body).toContain('- ✅ `record-0`\n- ❌ `record-1`');
    expect(body).toContain('- ❌ `record-39`\n- and 5 more, in report.json');
    expect(body).not.toContain('`record-40`');
  });

  it('carries the marker, the verdict, a table per target, the flips and the run link', () => {
    const body = commentBody(report([target('awq', 'ok')]), { marker, runUrl: prContext.runUrl });
    expect(body.startsWith(`${marker}\n## model-gate: ❌ fail`)).toBe(true);
    expect(body).toContain('| Detection rate | 100.0 % | 80.0 % | −20 pts | ❌ regressed | ≥ 12.5 pts | 12/15 |');
    expect(body).toContain('Scenarios that flipped: 1 passed in the baseline and fail now, 0 failed and pass now.');
    expect(body).toContain('<details><summary>Which</summary>\n\n- ❌ `diagnosis-empty`\n\n</details>');
    expect(body).toContain('[workflow run](https://github.com/acme/clinic-bots/actions/runs/7)');
    expect(body).toContain('fingerprint `abababababab`');
    // The interval's bounds are signed as the change is, with the same minus.
    expect(body).toContain('| +1.3 % (95 % CI −3…+6 %) | ✅ within noise |');
  });

  it('fits a 70,000-character report under the limit, by degrading, never cutting a table row', async () => {
    const targets = Array.from({ length: 40 }, (_, index) => target(`target-${index}`, 'x'.repeat(150)));
    const full = commentBody(report(targets.slice(0, 1)), { marker, runUrl: null });
    expect(full).toContain('Calls worth a look');
    const huge = report(targets);
    const untrimmed = `${marker}\n${(await import('../src/report/markdown.js')).summaryMarkdown(huge)}`;
    expect(untrimmed.length).toBeGreaterThan(70_000);
    const body = commentBody(huge, { marker, runUrl: null });
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body.length).toBeLessThanOrEqual(65_536);
    for (const line of body.split('\n').filter((text) => text.startsWith('|'))) expect(line.endsWith('|')).toBe(true);
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
  });

  it('renders hostile model output inert', () => {
    const hostile =
      '@org/team <img src=x onerror=alert(1)> [click me](https://evil.example/x) `break` | cell ' + 'A'.repeat(100_000);
    const body = commentBody(report([target('awq', hostile)]), { marker, runUrl: null });
    const row = body.split('\n').find((line) => line.includes('onerror'))!;
    // Inside a code span: no mention, tag, link or image is rendered; backticks and pipes cannot break out.
    expect(row).toMatch(
      /\| `@org\/team <img src=x onerror=alert\(1\)> \[click me\]\(https:\/\/evil\.example\/x\) 'break' \\\| cell A+…` \|$/,
    );
    expect(row.length).toBeLessThan(400);
    expect(body.length).toBeLessThan(COMMENT_MAX_CHARS);
  });
});

describe('publishing the comment', () => {
  it('creates the comment the first time and updates the same one afterwards', async () => {
    const server = await startGithubServer({ tokens: { ghs_write: 'write' } });
    const api = apiFor(server.url, 'ghs_write');
    const first = await publishComment({
      api,
      context: prContext,
      mode: 'always',
      marker,
      body: `${marker}\nfirst`,
      regressed: false,
    });
    expect(first.status).toBe('created');
    const second = await publishComment({
      api,
      context: prContext,
      mode: 'always',
      marker,
      body: `${marker}\nsecond`,
      regressed: false,
    });
    expect(second).toMatchObject({ status: 'updated', url: first.url });
    const { comments } = await server.state();
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toBe(`${marker}\nsecond`);
  });

  const publish = (api: ReturnType<typeof apiFor>, body: string) =>
    publishComment({ api, context: prContext, mode: 'always', marker, body: `${marker}\n${body}`, regressed: false });

  it("leaves another bot's comment carrying the marker, and a comment quoting it, alone", async () => {
    const server = await startGithubServer({
      tokens: { ghs_write: 'write' },
      comments: [
        { id: 1, issue: 42, body: `${marker}\nrenovate's`, login: 'renovate[bot]', type: 'Bot' },
        { id: 2, issue: 42, body: `Another workflow quoting ${marker}`, login: 'github-actions[bot]', type: 'Bot' },
      ],
    });
    expect((await publish(apiFor(server.url, 'ghs_write'), 'ours')).status).toBe('created');
    const { comments } = await server.state();
    expect(comments.map((comment) => [comment.id, comment.user.login, comment.body.split('\n').at(-1)])).toEqual([
      [1, 'renovate[bot]', "renovate's"],
      [2, 'github-actions[bot]', `Another workflow quoting ${marker}`],
      [comments[2]!.id, 'github-actions[bot]', 'ours'],
    ]);
  });

  it('a personal access token finds its own comment again, so a passing run replaces a stale ❌', async () => {
    const server = await startGithubServer({ tokens: { ghp_personal: { access: 'write', login: 'octo-dev' } } });
    const api = apiFor(server.url, 'ghp_personal');
    const first = await publish(api, '❌ fail');
    const second = await publish(api, '✅ pass');
    expect(second).toMatchObject({ status: 'updated', url: first.url });
    const { comments } = await server.state();
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ user: { login: 'octo-dev' }, body: `${marker}\n✅ pass` });
  });

  it("GitHub's rate limit is named as such, not as a missing permission", async () => {
    const server = await startGithubServer({ tokens: { ghs_write: 'write' }, rateLimited: true });
    const outcome = await publish(apiFor(server.url, 'ghs_write'), 'x');
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(
      /^No pull-request comment: GitHub's API rate limit was reached \(HTTP 403\) until \d\d:\d\d UTC; the gate result is unchanged\.$/,
    );
  });

  it('finds its earlier comment on a later page of a long discussion', async () => {
    const others = Array.from({ length: 150 }, (_, index) => ({
      id: index + 1,
      issue: 42,
      body: `comment ${index}`,
      login: 'reviewer',
    }));
    others[130] = { id: 131, issue: 42, body: `${marker}\nold`, login: 'github-actions[bot]', type: 'Bot' } as never;
    // A human quoting the marker is not the action's comment.
    others[5] = { id: 6, issue: 42, body: `quoting ${marker}`, login: 'reviewer' };
    const server = await startGithubServer({ tokens: { ghs_write: 'write' }, comments: others });
    const outcome = await publishComment({
      api: apiFor(server.url, 'ghs_write'),
      context: prContext,
      mode: 'on-regression',
      marker,
      body: `${marker}\nrecovered`,
      regressed: false,
    });
    expect(outcome.status).toBe('updated');
    const { comments, requests } = await server.state();
    expect(comments.find((comment) => comment.id === 131)!.body).toBe(`${marker}\nrecovered`);
    expect(requests.filter((request) => request.method === 'GET').length).toBe(2);
  });

  it('on-regression: no new comment when nothing regressed', async () => {
    const server = await startGithubServer({ tokens: { ghs_write: 'write' } });
    const outcome = await publishComment({
      api: apiFor(server.url, 'ghs_write'),
      context: prContext,
      mode: 'on-regression',
      marker,
      body: 'x',
      regressed: false,
    });
    expect(outcome).toEqual({
      status: 'skipped',
      message: 'No pull-request comment: nothing regressed (comment is "on-regression").',
      url: null,
    });
    expect((await server.state()).comments).toHaveLength(0);
  });

  it('a read-only token (403) gives a notice, never a failure', async () => {
    const server = await startGithubServer({ tokens: { ghs_read: 'read' } });
    const outcome = await publishComment({
      api: apiFor(server.url, 'ghs_read'),
      context: prContext,
      mode: 'always',
      marker,
      body: 'x',
      regressed: true,
    });
    expect(outcome).toEqual({
      status: 'not-allowed',
      message:
        'No pull-request comment: the token may not write comments (HTTP 403). Give the job "permissions: pull-requests: write", or set comment to "never"; the gate result is unchanged.',
      url: null,
    });
  });

  it('a pull request from a fork: explains in one line, calls nothing', async () => {
    const outcome = await publishComment({
      api: null,
      context: { ...prContext, pullRequest: { ...prContext.pullRequest!, fromFork: true } },
      mode: 'always',
      marker,
      body: 'x',
      regressed: true,
    });
    expect(outcome.message).toBe(
      'No pull-request comment: this pull request comes from a fork, whose token is read-only and has no secrets; the job summary has the tables.',
    );
  });

  it('a scheduled run has no pull request to comment on', async () => {
    const outcome = await publishComment({
      api: null,
      context: { ...prContext, eventName: 'schedule', pullRequest: null },
      mode: 'always',
      marker,
      body: 'x',
      regressed: true,
    });
    expect(outcome.message).toBe(
      'No pull-request comment: this run was started by schedule; the job summary has the tables.',
    );
  });
});

describe('junit.xml', () => {
  const outcome = (scenario: string, category: string, anomaly: boolean, detected: number, flagged: number) => ({
    scenario,
    category,
    anomaly,
    runs: 3,
    detected,
    flagged,
    jsonValid: 3,
    schemaValid: 3,
    errors: 0,
  });
  /**
   * A target whose detection regressed: diagnosis-empty turned, birth-date-aberrant failed in the
   * baseline too, and clean-flagged turned but is a clean screen, which detection does not count.
   */
  function regressedRun(): Report {
    const base = report([target('awq', 'ok')]);
    base.targets[0]!.measurement!.scenarios = [
      outcome('birth-date-aberrant', 'identity', true, 1, 1),
      outcome('diagnosis-empty', 'identity', true, 0, 0),
      outcome('clean-migraine', 'clean', false, 0, 0),
      outcome('clean-flagged', 'clean', false, 0, 3),
    ];
    base.targets[0]!.flips.push({ scenario: 'clean-flagged', before: true, now: false });
    return base;
  }
  const junit = async (base: Report) => (await import('../src/report/junit.js')).junitXml(base);

  it("fails on the run's findings: a regressed metric and the scenarios that turned with it", async () => {
    const xml = await junit(regressedRun());
    expect(xml).toContain(
      '<failure message="diagnosis-empty: the planted anomaly was detected in 0 of 3 runs; it passed in the baseline." type="anomaly"/>',
    );
    expect(xml).toContain('<testcase classname="model-gate.awq.gate" name="detectionRatePct">');
    expect(xml).toContain(
      '<failure message="detectionRatePct regressed: worse by more than the margin and significant" type="regression"/>',
    );
    // A scenario that failed in the baseline too is no evidence of this change: skipped, with why.
    expect(xml).toMatch(
      /<testcase classname="model-gate\.awq\.identity" name="birth-date-aberrant">\s*<skipped\/>\s*<system-out>\s*<!\[CDATA\[birth-date-aberrant: the planted anomaly was detected in 1 of 3 runs \(not a finding: it failed in the baseline too\)\.\]\]>/,
    );
    expect(xml).toMatch(/<testcase classname="model-gate\.awq\.clean" name="clean-migraine"\/>/);
    // A clean screen that turned is no evidence of a drop in detection, which counts anomaly screens.
    expect(xml).toContain(
      'clean-flagged: the clean screen was flagged in 3 of 3 answers (not a finding: it passed in the baseline, but no quality metric it counts toward regressed beyond noise).',
    );
    expect(xml).toMatch(/<testcase classname="model-gate\.awq\.gate" name="warmLatencyP50Ms"\/>/);
    expect(xml).toMatch(
      /<testsuite name="model-gate safety-checks · awq" tests="6" failures="2" errors="0" skipped="2"/,
    );
  });

  it('fails nothing on a scenario that turned within noise, or beside a latency regression, an inconclusive metric, no baseline', async () => {
    const quiet = regressedRun();
    quiet.metricVerdicts[0]!.status = 'inconclusive';
    quiet.metricVerdicts[0]!.reason = 'worse by more than the margin, not significant';
    let xml = await junit(quiet);
    expect(xml).toContain(
      'diagnosis-empty: the planted anomaly was detected in 0 of 3 runs (not a finding: it passed in the baseline, but no quality metric it counts toward regressed beyond noise).',
    );
    expect(xml).toContain('detectionRatePct inconclusive: worse by more than the margin, not significant');
    expect(xml).toMatch(/tests="6" failures="0" errors="0" skipped="4"/);

    // A latency regression fails its own case; it says nothing about which answers turned.
    quiet.metricVerdicts[1]!.status = 'regressed';
    xml = await junit(quiet);
    expect(xml).toContain('but no quality metric it counts toward regressed beyond noise');
    expect(xml).toMatch(/tests="6" failures="1" errors="0" skipped="4"/);

    quiet.baselines[0]!.status = 'missing';
    quiet.metricVerdicts = [];
    xml = await junit(quiet);
    expect(xml).toContain('(not a finding: no baseline to compare with)');
    expect(xml).toMatch(/tests="4" failures="0" errors="0" skipped="3"/);
  });

  it('fails on a target cut short by an outage, whose scenarios are no evidence either way', async () => {
    const cut = regressedRun();
    cut.baselines = [];
    cut.metricVerdicts = [];
    cut.targets[0]!.outages = [{ startedAt: '', downMs: null, cause: 'connection refused', callsLost: 2 }];
    const xml = await junit(cut);
    expect(xml).toContain(
      '<testcase classname="model-gate.awq" name="run">\n      <failure message="2 calls lost to a server outage, so nothing was gated on this target." type="run"/>',
    );
    expect(xml).toContain('(not a finding: this target was not compared with a baseline)');
    expect(xml).toMatch(/tests="5" failures="1" errors="0" skipped="3"/);
  });

  it('fails on an absolute threshold not met', async () => {
    const base = regressedRun();
    base.thresholdChecks = [
      {
        target: 'awq',
        threshold: 'min-detection-rate-pct',
        metric: 'detectionRatePct',
        bound: 'min',
        limit: 90,
        value: 66.7,
        passed: false,
        reason: 'detectionRatePct 66.7 is below min-detection-rate-pct 90',
      },
    ];
    const xml = await junit(base);
    expect(xml).toContain('<testcase classname="model-gate.awq.thresholds" name="min-detection-rate-pct">');
    expect(xml).toContain(
      '<failure message="detectionRatePct 66.7 is below min-detection-rate-pct 90" type="threshold"/>',
    );
  });
});

describe('trends', () => {
  it('charts each gated metric over the baseline runs and this run, as a Mermaid xychart', async () => {
    const { summaryMarkdown } = await import('../src/report/markdown.js');
    const markdown = summaryMarkdown(report([target('awq', 'ok')]));
    expect(markdown).toContain(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Warm latency p50 (ms)"',
        '  x-axis ["b-2", "b-1", "now"]',
        '  y-axis "ms"',
        '  line [780, 801, 790]',
        '```',
      ].join('\n'),
    );
    expect(markdown).toContain('  title "Detection rate (%)"');
  });
});

describe('the comment rendered to HTML', () => {
  it('shows hostile model output only as code: no tag, link, image or mention comes through', async () => {
    const { marked } = await import('marked');
    const hostile =
      '@org/team <img src=x onerror=alert(1)> [click me](https://evil.example/x) ![pixel](https://evil.example/p.png) <script>alert(2)</script>';
    const html = await marked.parse(
      commentBody(report([target('awq', hostile)]), { marker, runUrl: prContext.runUrl }),
      { gfm: true },
    );
    expect(html).not.toMatch(/<img|<script|href="https:\/\/evil/);
    // Every occurrence of the hostile text sits inside a <code> element, escaped.
    const occurrences = html.split('onerror').length - 1;
    const inCode = [...html.matchAll(/<code>([^<]*)<\/code>/g)].filter(([, text]) => text!.includes('onerror')).length;
    expect(occurrences).toBeGreaterThan(0);
    expect(inCode).toBe(occurrences);
    expect(html).toContain('<a href="https://github.com/acme/clinic-bots/actions/runs/7">workflow run</a>');
  });
});
