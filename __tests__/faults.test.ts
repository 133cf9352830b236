// The fault matrix (docs/faults.md): an endpoint that misbehaves in each way a real one does. Every
// run finishes within its time, classifies each call, says in the report what happened, exits with
// the right status, and keeps every sample it took (samples.jsonl holds exactly the completed calls).
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../src/run/sample.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli, runProcess } from './helpers/processes.js';
import { readRun, runCliAgainst, samplesWritten, tempDir } from './helpers/runs.js';
import { REPO_ROOT, startOpenAIServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

/** A run of the CLI against a faulty server, checked to have lost nothing: every completed call has its line. */
async function runAgainst(
  programme: Record<string, unknown>,
  flags: string[] = [],
  onStart?: (pid: number) => void,
  dir?: string,
) {
  const run = await runCliAgainst(programme, flags, { ...(onStart ? { onStart } : {}), ...(dir ? { dir } : {}) });
  const target = run.report.targets[0];
  if (target)
    expect(run.samples.filter((sample) => !sample.retried && sample.phase !== 'confirm')).toHaveLength(
      target.completedCalls,
    );
  return { ...run, code: run.result.code };
}

const classes = (samples: readonly Sample[]) =>
  [...new Set(samples.map((sample) => sample.errorClass).filter(Boolean))].sort();

/** Bounded here: the peak resident memory of a run against a hostile server. */
const PEAK_RSS_MB = 300;

/** A run of the bundled CLI against a test server, with its wall time and its peak memory (getrusage). */
async function boundedRun(programme: Record<string, unknown>, suite: string, flags: string[] = []) {
  const server = await startOpenAIServer(suiteProgramme(programme, suite));
  const dir = tempDir();
  const rssFile = join(dir, 'rss');
  const started = Date.now();
  const result = await runProcess(
    process.execPath,
    [
      '--import',
      join(REPO_ROOT, 'bench', 'support', 'max-rss.mjs'),
      join(REPO_ROOT, 'dist', 'cli', 'index.js'),
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--suite',
      suite,
      '--suite-size',
      'smoke',
      '--warm-runs',
      '1',
      '--retries',
      '0',
      '--timeout',
      '10',
      '--report-dir',
      join(dir, 'report'),
      ...flags,
    ],
    { env: { ...process.env, MODEL_GATE_RSS_FILE: rssFile }, timeoutMs: 120_000 },
  );
  return {
    result,
    report: readRun(join(dir, 'report')).report,
    seconds: (Date.now() - started) / 1000,
    peakMb: Number(readFileSync(rssFile, 'utf8')) / 1024,
  };
}

describe('fault matrix', () => {
  it('a tool call streamed at index 4294967294: read as one call, each within its timeout', async () => {
    const { report, seconds } = await boundedRun({ toolCallIndex: 4294967294 }, 'voice-commands', ['--timeout', '5']);
    // 31 calls; before, each froze the event loop for about 100 s, past its timeout and SIGTERM.
    expect(seconds).toBeLessThan(60);
    expect(report.targets[0]!.measurement!.metrics.toolAccuracyPct).toMatchObject({ value: 100, n: 30 });
  });

  it('the endpoint dies mid-run: waited for up to ready-timeout, then the target stopped, the samples before kept', async () => {
    const { code, report, samples, seconds } = await runAgainst({ failures: { dieAfterChats: 8 } }, [
      '--warm-runs',
      '3',
      '--ready-timeout',
      '2',
    ]);
    expect(code).toBe(2);
    expect(report).toMatchObject({ status: 'partial', verdict: 'error' });
    expect(report.verdictReason).toMatch(
      /^Target "test-model": the server stopped answering after 8 successful calls \((connection-refused|connection-reset|truncated-stream|connection)[^)]*; then GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: connection refused\) and did not come back within 2 s \(ready-timeout\), so its remaining \d+ calls were not made\. The samples taken are in the report\.$/,
    );
    expect(samples.filter((sample) => sample.errorClass === null)).toHaveLength(8);
    expect(report.targets[0]!.outages).toEqual([
      expect.objectContaining({ downMs: null, callsLost: 0, cause: expect.stringContaining('connection refused') }),
    ]);
    // Nothing is gated on a dead server: no confirmation calls, no metric verdicts.
    expect(report.targets[0]!.confirmationCalls).toBe(0);
    expect(report.metricVerdicts).toEqual([]);
    expect(seconds).toBeLessThan(30);
  });

  it('a server that dies while a baseline exists: an outage, never a quality verdict, no confirmation calls against it', async () => {
    const dir = tempDir();
    const baselineDir = join(dir, 'baselines');
    const healthy = await startOpenAIServer(suiteProgramme({}));
    const written = await runCli([
      'baseline',
      '--base-url',
      `${healthy.url}/v1`,
      '--model',
      'test-model',
      '--warm-runs',
      '3',
      '--baseline-dir',
      baselineDir,
      '--report-dir',
      join(dir, 'baseline-report'),
    ]);
    expect(written.code).toBe(0);
    const { code, report, samples } = await runAgainst({ failures: { dieAfterChats: 8 } }, [
      '--warm-runs',
      '3',
      '--ready-timeout',
      '2',
      '--baseline-dir',
      baselineDir,
    ]);
    expect(code).toBe(2);
    expect(report.verdictReason).toMatch(/^Target "test-model": the server stopped answering after 8 successful calls/);
    expect(report.metricVerdicts).toEqual([]);
    expect(report.gate?.confirmed).toBe(false);
    expect(samples.filter((sample) => sample.phase === 'confirm')).toEqual([]);
  });

  it('a reload mid-run at concurrency 4 (every call answers 503 for a while): one outage, waited out together, no call lost', async () => {
    const dir = tempDir();
    let restarted = false;
    const run = runCliAgainst(
      { latency: { ttftMs: 30 } },
      ['--warm-runs', '3', '--concurrency', '4', '--latency-concurrency', '4'],
      {
        dir,
        onServer: (server) => {
          // Once a few calls are in, the server reloads its model for 1.5 s.
          void (async () => {
            await samplesWritten(dir, 6);
            await fetch(`${server.url}/__control/restart?downMs=1500`, { method: 'POST' });
            restarted = true;
          })().catch(() => undefined);
          return Promise.resolve();
        },
      },
    );
    const { result, report, samples } = await run;
    expect(restarted).toBe(true);
    const target = report.targets[0]!;
    expect(target.outages).toHaveLength(1);
    expect(target.outages[0]).toMatchObject({ callsLost: 0, downMs: expect.any(Number) });
    expect(target.outages[0]!.cause).toMatch(/^http-503.*; then GET \S+\/v1\/models: HTTP 503$/);
    expect(target.completedCalls).toBe(target.plannedCalls);
    expect(samples.filter((sample) => sample.errorClass === 'http-503').every((sample) => sample.retried)).toBe(true);
    expect(report.verdict).toBe('no-baseline');
    expect(report.verdictReason).toMatch(
      /^The server of target "test-model" stopped answering during the run \(down \d+\.\d s from /,
    );
    expect(result.code).toBe(0);
  });

  it.each([
    ['vLLM serving a text model', 400, 'Qwen/Qwen2.5-7B-Instruct is not a multimodal model', 1],
    ['an image the server failed on once', 500, 'CUDA out of memory while encoding image', 10],
  ])(
    '%s: a refusal of images stops the target at its first call, an error about one image does not',
    async (_name, status, message, calls) => {
      const { code, report, samples } = await runAgainst(
        { failures: { errorRate: 1, errorStatus: status, errorMessage: message } },
        ['--warm-runs', '1', '--retries', '0'],
      );
      expect(code).toBe(2);
      expect(samples).toHaveLength(calls);
      if (calls === 1)
        expect(report.verdictReason).toMatch(/^Target "test-model": the server does not take images \(http-400: /);
      else expect(report.verdictReason).toMatch(/^No call to target "test-model" succeeded: http-500/);
    },
  );

  it('a hung server (it takes connections, answers nothing, not even its model list): given up on after one timeout', async () => {
    const { code, report, samples, seconds } = await runAgainst({ failures: { hangAfterChats: 4 } }, [
      '--warm-runs',
      '3',
      '--timeout',
      '2',
    ]);
    expect(code).toBe(2);
    expect(samples.filter((sample) => sample.errorClass === 'timeout')).toHaveLength(1);
    expect(report.verdictReason).toMatch(
      /^Target "test-model": a call got no complete answer within 2 s, and the server then did not answer a health check either \(GET http:\/\/127\.0\.0\.1:\d+\/v1\/models: no answer within 5\.0 s\): it is hung, so its remaining \d+ calls were not made\./,
    );
    // One call timeout and one health check, not five timeouts.
    expect(seconds).toBeLessThan(40);
  });

  it('a key refused on the first chat call where the model list needs none: stopped there, with the key guidance', async () => {
    const { result, report, samples } = await runCliAgainst(
      { apiKey: 'right-key', modelsNeedNoKey: true },
      ['--warm-runs', '3', '--api-key-env', 'GATE_TEST_KEY'],
      { env: { ...process.env, GATE_TEST_KEY: 'wrong-key' } },
    );
    expect(result.code).toBe(2);
    expect(samples).toHaveLength(1);
    expect(report.verdictReason).toBe(
      'Target "test-model": the server rejected the API key from environment variable GATE_TEST_KEY (HTTP 401 on the first chat call). Pass the key the server was started with (vLLM and llama.cpp: --api-key). The target stopped there; its model list needed no key, so the preflight could not tell.',
    );
  });

  it.each([
    ['connection resets', { resetRate: 0.25 }, 'connection-reset'],
    ['HTTP 500s', { errorRate: 0.25, errorStatus: 500 }, 'http-500'],
    ['truncated streams', { truncateRate: 0.25 }, 'truncated-stream'],
  ])(
    '%s: classified, retried within the budget, counted in the error rate, the run complete',
    async (_name, failures, errorClass) => {
      const { code, report, samples } = await runAgainst({ failures, seed: 5 }, ['--warm-runs', '2']);
      expect(code).toBe(0);
      expect(report.status).toBe('complete');
      expect(classes(samples)).toEqual([errorClass]);
      expect(report.targets[0]!.retries!.byClass[errorClass]).toBeGreaterThan(0);
      expect(report.targets[0]!.measurement!.metrics.errorRatePct.count).toBe(
        samples.filter((sample) => sample.phase === 'warm' && sample.errorClass !== null).length,
      );
    },
  );

  it('HTML error pages from a proxy: http-502, the page never rendered in the summary', async () => {
    const { report, samples, summary } = await runAgainst({ failures: { htmlRate: 0.3 }, seed: 2 }, [
      '--warm-runs',
      '2',
      '--retries',
      '0',
    ]);
    expect(report.status).toBe('complete');
    expect(classes(samples)).toEqual(['http-502']);
    expect(samples.find((sample) => sample.errorClass === 'http-502')!.errorMessage).toBe(
      'HTTP 502: an HTML page titled "502 Bad Gateway", from a proxy or gateway rather than the model server',
    );
    expect(summary).not.toMatch(/<html|<center|<h1/i);
  });

  it('malformed stream events: invalid-response, not retried', async () => {
    const { report, samples } = await runAgainst({ failures: { malformedRate: 0.3 }, seed: 4 }, ['--warm-runs', '2']);
    expect(report.status).toBe('complete');
    expect(classes(samples)).toEqual(['invalid-response']);
    expect(report.targets[0]!.retries!.retried).toBe(0);
  });

  it('bytes that are not UTF-8: the call is answered, the bytes replaced, the answer judged as it reads', async () => {
    const { code, report, samples } = await runAgainst({ failures: { binaryRate: 1 } }, ['--warm-runs', '1']);
    expect(classes(samples)).toEqual([]);
    // The bytes land inside the answer's first key: still JSON, no longer the schema's.
    expect(
      samples.every((sample) => sample.excerpt.startsWith('{"ad\uFFFD') && sample.jsonValid && !sample.schemaValid),
    ).toBe(true);
    expect(report.targets[0]!.measurement!.metrics.schemaValidRatePct).toEqual({ value: 0, n: 9, count: 0 });
    expect(code).toBe(0);
  });

  it('a 50 MB answer that ignores max_tokens: cut off at the answer limit, oversized-response, not retried', async () => {
    const { report, samples, seconds } = await runAgainst({ failures: { hugeRate: 1 } }, ['--warm-runs', '1']);
    expect(classes(samples)).toEqual(['oversized-response']);
    expect(samples[0]!.errorMessage).toBe(
      'the answer passed 256 KB with max-tokens at 512: the server does not honour max_tokens; the rest was not read',
    );
    expect(report.targets[0]!.retries!.retried).toBe(0);
    expect(seconds).toBeLessThan(20);
  });

  it.each([
    ['answers after the timeout', { latency: { ttftMs: 2500 } }],
    ['hangs forever', { failures: { hangRate: 1 } }],
  ])(
    '%s: timeouts, never retried, the target stopped after five in a row instead of waiting out every call',
    async (_name, programme) => {
      const { code, report, samples, seconds } = await runAgainst(programme, ['--warm-runs', '3', '--timeout', '1']);
      expect(code).toBe(2);
      expect(classes(samples)).toEqual(['timeout']);
      expect(samples).toHaveLength(5);
      expect(report.status).toBe('partial');
      expect(report.verdictReason).toBe(
        'Target "test-model": 5 calls in a row timed out (no complete answer within 1 s), so its remaining 23 calls were not made: the endpoint stopped answering after 0 successful calls. The samples taken are in the report.',
      );
      expect(seconds).toBeLessThan(20);
    },
  );

  it('the job is cancelled as the runner does it (SIGTERM, then SIGKILL after the grace period): a valid partial report', async () => {
    let pid = 0;
    const dir = tempDir('model-gate-fault-');
    const run = runAgainst({ latency: { ttftMs: 150 } }, ['--warm-runs', '3'], (value) => (pid = value), dir);
    // Mid-run: once a few calls are in samples.jsonl, however long this machine took to start it.
    await samplesWritten(dir, 3);
    process.kill(pid, 'SIGTERM');
    // The runner's grace period before SIGKILL is 7.5 s; the run ends well within it, even on a loaded machine.
    const graceOver = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: it wrote its report and exited within the grace period, as it should.
      }
    }, 7500);
    const { code, report, samples } = await run.finally(() => clearTimeout(graceOver));
    expect(code).toBe(130);
    expect(report.status).toBe('cancelled');
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.length).toBeLessThan(28);
  });
});

// Answers no real server gives, through the bundled CLI with its peak memory taken from the process
// itself (getrusage): each run ends within its time, names the cause, and stays under PEAK_RSS_MB.
describe('resources with a ceiling', () => {
  it('error bodies that never end: each read stops at 64 KB, the calls fail as HTTP 400', async () => {
    const { report, seconds, peakMb } = await boundedRun({ hostile: { endlessErrorBody: true } }, 'safety-checks');
    expect(report.verdictReason).toMatch(/^No call to target "test-model" succeeded: http-400/);
    expect(seconds).toBeLessThan(60);
    expect(peakMb).toBeLessThan(PEAK_RSS_MB);
  });

  it('a model list that is a gzip bomb: cut at 16 MB inflated, the preflight says so', async () => {
    const { report, seconds, peakMb } = await boundedRun({ hostile: { modelsGzipBomb: true } }, 'safety-checks');
    expect(report.verdict).toBe('error');
    expect(report.verdictReason).toContain('passed 16 MB, more than any answer model-gate reads');
    expect(seconds).toBeLessThan(60);
    expect(peakMb).toBeLessThan(PEAK_RSS_MB);
  });

  it('tool-call arguments nested 6,000 deep: not JSON to the scorer, never a crash', async () => {
    const { report, peakMb } = await boundedRun({ hostile: { deepToolArguments: 6000 } }, 'voice-commands');
    expect(report.status).toBe('complete');
    expect(report.verdictReason).not.toContain('internal error');
    expect(report.targets[0]!.measurement!.metrics.jsonValidRatePct.value).toBe(0);
    expect(peakMb).toBeLessThan(PEAK_RSS_MB);
  });

  it('an embeddings endpoint that returns fewer vectors than inputs: the pairs it left out have no similarity, the run goes on', async () => {
    const a = await startOpenAIServer(suiteProgramme({ models: ['a'] }, 'slide-extraction'));
    const b = await startOpenAIServer(suiteProgramme({ models: ['b'] }, 'slide-extraction'));
    const embeddings = await startOpenAIServer({ hostile: { shortEmbeddings: true } });
    const dir = tempDir();
    const config = join(dir, 'model-gate.yml');
    writeFileSync(
      config,
      [
        'suite: slide-extraction',
        'targets:',
        `  - { name: a, base-url: "${a.url}/v1", model: a, compare-to: b }`,
        `  - { name: b, base-url: "${b.url}/v1", model: b }`,
        `compare: { embeddings: { base-url: "${embeddings.url}/v1", model: e } }`,
        '',
      ].join('\n'),
    );
    const result = await runCli(['run', '--config', config, '--report-dir', join(dir, 'report'), '--warm-runs', '1']);
    expect(result.code).not.toBe(2);
    const { report } = readRun(join(dir, 'report'));
    expect(report.comparisons[0]!.similarity).toMatchObject({ error: null });
  });
});
