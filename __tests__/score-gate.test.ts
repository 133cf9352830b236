// The gate on suites scored against ground truth: entity recall (a fraction per answer) is gated
// paired over scenarios, tool routing (right or wrong) with the exact test on counts; the tool mode
// is part of what a routing baseline was measured with.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Report } from '../src/report/report.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOpenAIServer, stopAllServers, type TestServer } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';
import { expectTablesAgree } from './helpers/tables.js';

afterAll(stopAllServers);

// A server with latency of its own: at zero latency, machine load alone moves latency by more than its margin.
const LATENCY = { latency: { ttftMs: 20, perTokenMs: 0.5 } };

async function gateRun(
  server: TestServer,
  suite: string,
  baselineDir: string,
  command: 'run' | 'baseline',
  flags: string[] = [],
) {
  const reportDir = mkdtempSync(join(tmpdir(), 'model-gate-score-gate-'));
  const result = await runCli([
    command,
    '--base-url',
    `${server.url}/v1`,
    '--model',
    'test-model',
    '--target-name',
    'vlm',
    '--suite',
    suite,
    '--baseline-dir',
    baselineDir,
    '--report-dir',
    reportDir,
    ...flags,
  ]);
  const report: Report = readReport(reportDir);
  return { result, report, summary: readFileSync(join(reportDir, 'summary.md'), 'utf8') };
}
const verdictOf = (report: Report, metric: string) =>
  report.metricVerdicts.find((verdict) => verdict.metric === metric);

describe('gating scores', () => {
  it('slide-extraction: an unchanged model passes; one that reads half the slide fails on entity recall, paired over the nine slides', async () => {
    const server = await startOpenAIServer(suiteProgramme(LATENCY, 'slide-extraction'));
    const baselines = mkdtempSync(join(tmpdir(), 'model-gate-score-baselines-'));
    expect((await gateRun(server, 'slide-extraction', baselines, 'baseline')).report.verdict).toBe('pass');

    const unchanged = await gateRun(server, 'slide-extraction', baselines, 'run');
    expect({ verdict: unchanged.report.verdict, reason: unchanged.report.verdictReason }).toMatchObject({
      verdict: 'pass',
    });
    expect(verdictOf(unchanged.report, 'entityRecallPct')).toMatchObject({
      status: 'within-noise',
      baseline: 100,
      current: 100,
      change: 0,
      changeUnit: 'points',
    });
    // A suite without planted anomalies has no detection rate to show or gate.
    expect(verdictOf(unchanged.report, 'detectionRatePct')).toBeUndefined();

    await server.setProgramme(suiteProgramme({ ...LATENCY, quality: { hitRate: 0 } }, 'slide-extraction'));
    const worse = await gateRun(server, 'slide-extraction', baselines, 'run');
    expect(worse.result.code).toBe(1);
    const recall = verdictOf(worse.report, 'entityRecallPct')!;
    expect(recall).toMatchObject({ status: 'regressed', baseline: 100, changeUnit: 'points' });
    expect(recall.change!).toBeLessThan(-30);
    expect(recall.interval![1]).toBeLessThan(0);
    expect(recall.reason).toContain('paired over 9 scenarios');
    expect(worse.report.verdictReason).toContain('Entity recall −');
    expect(worse.summary).toContain('| Entity recall | 100.0 % |');
    expect(expectTablesAgree(worse.summary)).toBeGreaterThan(3);
    // Reported but not gated by default: relation recall and OCR similarity.
    expect(verdictOf(worse.report, 'relationRecallPct')).toMatchObject({ pValue: null });
  });

  it('voice-commands: routing to the wrong tool fails on tool accuracy; a baseline from the JSON fallback is incomparable with native tool calls', async () => {
    const server = await startOpenAIServer(suiteProgramme(LATENCY, 'voice-commands'));
    const baselines = mkdtempSync(join(tmpdir(), 'model-gate-score-baselines-'));
    await gateRun(server, 'voice-commands', baselines, 'baseline', ['--tool-mode', 'json', '--warm-runs', '1']);
    const unchanged = await gateRun(server, 'voice-commands', baselines, 'run', [
      '--tool-mode',
      'json',
      '--warm-runs',
      '1',
    ]);
    expect({ verdict: unchanged.report.verdict, reason: unchanged.report.verdictReason }).toMatchObject({
      verdict: 'pass',
    });
    // A suite without clean screens has no false-positive rate: no row, no test in the Holm family.
    expect(unchanged.report.metricVerdicts.map((verdict) => verdict.metric)).not.toContain('falsePositiveRatePct');
    expect(unchanged.summary).not.toContain('False-positive rate');
    // Without native tools, the tools are described in the system message and answered as JSON.
    const asked = (await server.stats()).lastChat!;
    expect(asked.tools).toBeNull();
    expect(asked.system).toContain('You can call one of these tools:\n- open_app: Open a desktop application.');
    expect(asked.system).toContain(
      'Answer ONLY with JSON of this form: {"tool": "<tool name>", "arguments": {<arguments>}}',
    );

    await server.setProgramme(suiteProgramme({ ...LATENCY, quality: { hitRate: 0.5 }, seed: 3 }, 'voice-commands'));
    const worse = await gateRun(server, 'voice-commands', baselines, 'run', [
      '--tool-mode',
      'json',
      '--warm-runs',
      '1',
    ]);
    expect(verdictOf(worse.report, 'toolAccuracyPct')).toMatchObject({ status: 'regressed', baseline: 100 });
    expect(worse.result.code).toBe(1);

    const native = await gateRun(server, 'voice-commands', baselines, 'run', [
      '--tool-mode',
      'native',
      '--warm-runs',
      '1',
    ]);
    expect(native.report.verdict).toBe('incomparable');
    expect(native.report.verdictReason).toContain('toolMode json → native');
    expect((await server.stats()).lastChat?.tools).toContain('send_message');
  });
});
