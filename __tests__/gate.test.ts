// Baselines and the gate, end to end over loopback: the CLI (from source) against the test server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineSchema, MAX_BASELINE_RUNS } from '../src/gate/baseline.js';
import { type Report } from '../src/report/report.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOpenAIServer, stopAllServers, type TestServer } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';
import { expectTablesAgree, expectTrendsAgree } from './helpers/tables.js';

// The server's own latency dwarfs what a loaded machine adds to a call, so load cannot pass for a change.
const LATENCY = { ttftMs: 80, perTokenMs: 2, jitterPct: 4 };
// The 60-scenario tests look at quality alone: a fast server keeps their 240 calls short.
const QUALITY_ONLY = { ttftMs: 12, perTokenMs: 0.25, jitterPct: 4 };
let server: TestServer;
let baselineDir: string;
const baselineFile = () => join(baselineDir, 'safety-checks', 'vlm.json');

beforeAll(async () => {
  // The whole file shares it: past two minutes on a loaded machine, so its lifetime is longer than the default.
  server = await startOpenAIServer(suiteProgramme({ latency: LATENCY, serverVersion: '0.9.2' }), 600);
  baselineDir = mkdtempSync(join(tmpdir(), 'model-gate-baselines-'));
});
afterAll(stopAllServers);

async function gate(command: 'run' | 'baseline', flags: string[] = [], target = 'vlm') {
  const reportDir = mkdtempSync(join(tmpdir(), 'model-gate-gate-'));
  const result = await runCli([
    command,
    '--base-url',
    `${server.url}/v1`,
    '--model',
    'test-model',
    '--target-name',
    target,
    '--baseline-dir',
    baselineDir,
    '--report-dir',
    reportDir,
    ...flags,
  ]);
  const report: Report = readReport(reportDir);
  reportDirs.set(report, reportDir);
  return { result, report, summary: readFileSync(join(reportDir, 'summary.md'), 'utf8') };
}

const reportDirs = new WeakMap<Report, string>();
const reportDirOf = (report: Report) => reportDirs.get(report)!;
const verdictOf = (report: Report, metric: string) =>
  report.metricVerdicts.find((verdict) => verdict.metric === metric)!;

describe('baselines and the gate', () => {
  it('writes a baseline from one run', async () => {
    const { result, report } = await gate('baseline');
    expect(result.code).toBe(0);
    expect(report).toMatchObject({
      mode: 'baseline',
      verdict: 'pass',
      baselines: [{ target: 'vlm', status: 'written', runs: 1 }],
    });
    expect(report.verdictReason).toBe(
      `Baseline written: ${baselineFile()} (1 run kept). Commit it so that pull requests are gated against it.`,
    );
    const baseline = baselineSchema.parse(JSON.parse(readFileSync(baselineFile(), 'utf8')));
    expect(baseline.suite).toEqual({
      id: 'safety-checks',
      version: 1,
      fingerprint: report.suite!.fingerprint,
      size: { preset: 'smoke', scenarios: 9, generated: 0, generates: true },
    });
    expect(baseline.settings).toEqual({
      warmRuns: 3,
      concurrency: 1,
      latencyConcurrency: 1,
      timeoutMs: 120000,
      temperature: 0,
      maxTokens: 512,
      jsonMode: 'json_object',
    });
    expect(baseline.runs[0]!.scenarios).toHaveLength(9);
    expect(baseline.runs[0]!.warmLatencyMs['diagnosis-empty']).toHaveLength(3);
    expect(baseline.runs[0]!.coldStartMs).toBeGreaterThan(0);
    expect(baseline.runs[0]).toMatchObject({ model: 'test-model', serverVersion: '0.9.2' });
  });

  it('adds later baseline runs to a bounded history, and writing the same run twice changes nothing', async () => {
    await gate('baseline');
    const baseline = baselineSchema.parse(JSON.parse(readFileSync(baselineFile(), 'utf8')));
    expect(baseline.runs).toHaveLength(2);
    expect(baseline.runs[0]!.createdAt > baseline.runs[1]!.createdAt).toBe(true);
    // Idempotent by run id: the pure update is tested directly, without a third HTTP run.
    const { withRun } = await import('../src/gate/baseline.js');
    const again = withRun(baseline, baseline, baseline.runs[0]!, baselineFile());
    expect(again).toEqual(baseline);
    let many = baseline;
    for (let index = 0; index < MAX_BASELINE_RUNS + 3; index += 1)
      many = withRun(many, many, { ...baseline.runs[0]!, runId: `run-${index}` }, baselineFile());
    expect(many.runs).toHaveLength(MAX_BASELINE_RUNS);
    expect(many.runs[0]!.runId).toBe(`run-${MAX_BASELINE_RUNS + 2}`);
  });

  it('passes an unchanged run', async () => {
    const { result, report, summary } = await gate('run');
    expect(result.code).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(report.regressions).toBe(0);
    expect(report.verdictReason).toMatch(
      /^No regression: \d+ gated metrics within their margins or within noise \(run-wide false-alarm rate 1 %\)\.$/,
    );
    expect(report.baselines).toEqual([
      { target: 'vlm', path: baselineFile(), status: 'compared', runs: 2, reason: null, change: null },
    ]);
    expect(summary).toContain('| Metric | Baseline | Current | Change | Verdict | Could detect | Based on |');
    expect(summary).toMatch(
      // Five anomaly scenarios, counted once each: no test on five could see a change at this alpha.
      /\| Detection rate \| 100\.0 % \| 100\.0 % \| ±0 pts \| ✅ within noise \| none at this size \| 5\/5 scenarios \|/,
    );
    expect(summary).toContain('xychart-beta');
    // The trends plot what the table compares: warm p50's points are typical calls, as its row's.
    expect(expectTrendsAgree(report)).toBeGreaterThan(3);
    expect(verdictOf(report, 'warmLatencyP50Ms').baselineRuns).toHaveLength(2);
    // Trend charts for the artifact: SVG, and PNG here where sharp is installed.
    const png = readFileSync(join(reportDirOf(report), 'charts', 'vlm-trends.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(reportDirOf(report), 'charts', 'vlm-detectionRatePct.svg'), 'utf8')).toContain(
      'vlm: Detection rate (%)',
    );
  });

  it('a passing nightly run with update-baseline-on-pass joins the baseline history', async () => {
    const before = baselineSchema.parse(JSON.parse(readFileSync(baselineFile(), 'utf8'))).runs.length;
    const { report } = await gate('run', ['--update-baseline-on-pass', 'true']);
    expect(report.verdict).toBe('pass');
    expect(report.verdictReason).toMatch(
      new RegExp(
        `This run was added to the baseline history: .+vlm\\.json \\(${before + 1} runs kept\\); commit it\\.$`,
      ),
    );
    expect(baselineSchema.parse(JSON.parse(readFileSync(baselineFile(), 'utf8'))).runs).toHaveLength(before + 1);
  });

  it('fails a run slowed by 50 % on latency, with the evidence in the summary', async () => {
    await server.setProgramme(
      suiteProgramme({ latency: { ...LATENCY, ttftMs: LATENCY.ttftMs * 1.5, perTokenMs: LATENCY.perTokenMs * 1.5 } }),
    );
    try {
      const { result, report, summary } = await gate('run');
      expect(result.code).toBe(1);
      expect(report.verdict).toBe('fail');
      const latency = verdictOf(report, 'warmLatencyP50Ms');
      expect(latency.status).toBe('regressed');
      expect(latency.change).toBeGreaterThan(30);
      expect(latency.pValue!).toBeLessThan(latency.threshold!);
      expect(latency.interval![0]).toBeGreaterThan(10);
      expect(report.verdictReason).toMatch(/regression.*Warm latency p50 \+\d+(\.\d)? % on vlm \(p = /);
      expect(summary).toMatch(
        /\| Warm latency p50 \| \d+ ms \| \d+ ms \| \+\d+(\.\d)? % \(95 % CI \+[\d.]+…\+[\d.]+ %\) \| ❌ regressed \| ≥ [\d.]+ % \|/,
      );
      expect(summary).toContain('<details><summary>Evidence');
      // Each row's Change follows from its own Baseline and Current.
      expect(expectTablesAgree(summary)).toBeGreaterThan(5);
      expect(summary).toMatch(
        /- \*\*Warm latency p50\*\* — ❌ regressed: worse by more than the margin and significant: p = .+ \(Holm threshold .+\), margin 10 %; run-to-run drift SD/,
      );
      expect(verdictOf(report, 'detectionRatePct').status).toBe('within-noise');
    } finally {
      await server.setProgramme(suiteProgramme({ latency: LATENCY }));
    }
  });

  // Quality counts each scenario once, so a quality regression needs a suite of many distinct scenarios:
  // 60 (9 hand-written, 51 generated), each asked once, against a baseline at the same size.
  const SIXTY = ['--suite-size', '60'];
  it('fails a run whose JSON validity drops to 70 %', async () => {
    await server.setProgramme(suiteProgramme({ latency: QUALITY_ONLY }));
    try {
      await gate('baseline', SIXTY, 'vlm-60');
      await server.setProgramme(suiteProgramme({ latency: QUALITY_ONLY, quality: { invalidJsonRate: 0.3 }, seed: 5 }));
      const { result, report, summary } = await gate('run', SIXTY, 'vlm-60');
      expect(expectTablesAgree(summary)).toBeGreaterThan(5);
      expect(result.code).toBe(1);
      const json = verdictOf(report, 'jsonValidRatePct');
      expect(json.status).toBe('regressed');
      expect(json.baseline).toBe(100);
      expect(json.current!).toBeLessThan(85);
      expect(json.basis).toMatch(/^\d+\/60 scenarios$/);
      expect(summary).toMatch(/\| JSON valid \| 100\.0 % \| \d+\.\d % \| −\d+(\.\d+)? pts \| ❌ regressed \|/);
    } finally {
      await server.setProgramme(suiteProgramme({ latency: LATENCY }));
    }
  });

  it('warns instead of failing with on-regression warn', async () => {
    await server.setProgramme(suiteProgramme({ latency: QUALITY_ONLY, quality: { invalidJsonRate: 0.5 }, seed: 6 }));
    try {
      const { result, report } = await gate('run', [...SIXTY, '--on-regression', 'warn'], 'vlm-60');
      expect(report.verdict).toBe('fail');
      expect(result.code).toBe(0);
    } finally {
      await server.setProgramme(suiteProgramme({ latency: LATENCY }));
    }
  });

  it('says incomparable, never a regression, when the suite changed since the baseline', async () => {
    const original = readFileSync(baselineFile(), 'utf8');
    const baseline = JSON.parse(original) as { suite: { fingerprint: string; version: number } };
    baseline.suite.fingerprint = `sha256:${'0'.repeat(64)}`;
    writeFileSync(baselineFile(), JSON.stringify(baseline));
    try {
      const { result, report } = await gate('run');
      expect(result.code).toBe(0);
      expect(report.verdict).toBe('incomparable');
      expect(report.metricVerdicts).toEqual([]);
      expect(report.verdictReason).toBe(
        `The baseline ${baselineFile()} was measured with suite safety-checks v1 (fingerprint 000000000000); this run used v1 (${report.suite!.fingerprint.slice(7, 19)}): the suite changed. Write a new one with mode: baseline (CLI: model-gate baseline) and commit it.`,
      );
    } finally {
      writeFileSync(baselineFile(), original);
    }
  });

  it("names the size that draws the baseline's scenarios again when a new version resized the preset", async () => {
    const original = readFileSync(baselineFile(), 'utf8');
    const baseline = JSON.parse(original) as { suite: { fingerprint: string; size: { scenarios: number } } };
    const preset = (JSON.parse(original) as { suite: { size: { preset: string } } }).suite.size.preset;
    baseline.suite.fingerprint = `sha256:${'0'.repeat(64)}`;
    baseline.suite.size.scenarios = 240;
    writeFileSync(baselineFile(), JSON.stringify(baseline));
    try {
      const { report } = await gate('run');
      expect(report.verdict).toBe('incomparable');
      expect(report.verdictReason).toBe(
        `The baseline ${baselineFile()} was measured with suite safety-checks at size ${preset} (240 scenarios); this run used size ${preset} (${report.suite!.size!.scenarios} scenarios). Run with suite-size 240 to compare with it, or write a new one with mode: baseline (CLI: model-gate baseline) and commit it at the new size.`,
      );
    } finally {
      writeFileSync(baselineFile(), original);
    }
  });

  it('says incomparable when settings that change the measurement differ', async () => {
    const { report } = await gate('run', ['--latency-concurrency', '2', '--max-tokens', '256']);
    expect(report.verdict).toBe('incomparable');
    expect(report.verdictReason).toBe(
      `The baseline ${baselineFile()} was measured with other settings (latencyConcurrency 1 → 2, maxTokens 512 → 256), so the two runs do not measure the same thing. Write a new one with mode: baseline (CLI: model-gate baseline) and commit it, or run with the baseline's settings.`,
    );
  });

  it('names a corrupt baseline file and the way out', async () => {
    const original = readFileSync(baselineFile(), 'utf8');
    try {
      writeFileSync(baselineFile(), original.slice(0, 200));
      const broken = await gate('run');
      expect(broken.result.code).toBe(2);
      expect(broken.report.verdict).toBe('error');
      expect(broken.report.verdictReason).toMatch(
        new RegExp(
          `^Baseline file ${baselineFile().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON \\(.+\\)\\. Restore it from git \\(git checkout -- .+\\) or write a new one with mode: baseline \\(CLI: model-gate baseline\\) and commit it\\.$`,
        ),
      );
      writeFileSync(baselineFile(), JSON.stringify({ ...JSON.parse(original), schemaVersion: 7 }));
      const newer = await gate('run');
      expect(newer.report.verdictReason).toBe(
        `Baseline file ${baselineFile()} has schema version 7, written by a newer model-gate; this one reads version 1. Update the action (or CLI) to the version that wrote it.`,
      );
      writeFileSync(baselineFile(), JSON.stringify({ ...JSON.parse(original), runs: [] }));
      const edited = await gate('run');
      expect(edited.report.verdictReason).toMatch(
        /^Baseline file .+: runs: Too small: expected array to have >=1 items\. The file was edited by hand or damaged: restore it from git or write a new one/,
      );
      // Baseline mode replaces a damaged file, and says so.
      writeFileSync(baselineFile(), '{ not json');
      const rewritten = await gate('baseline');
      // The reason rides along, so that a failure here says what went wrong.
      expect({ verdict: rewritten.report.verdict, reason: rewritten.report.verdictReason }).toMatchObject({
        verdict: 'pass',
      });
      expect(rewritten.report.verdictReason).toMatch(
        / \(1 run kept\)\. Commit it so that pull requests are gated against it\. .+vlm\.json: the previous file could not be read and was replaced: Baseline file .+ is not valid JSON/,
      );
      expect(baselineSchema.parse(JSON.parse(readFileSync(baselineFile(), 'utf8'))).runs).toHaveLength(1);
    } finally {
      writeFileSync(baselineFile(), original);
    }
  });
});
