// The whole run, end to end: the CLI (from source) against the OpenAI-compatible test server.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { cliFlagName } from '../src/config/load.js';
import { runModelGate } from '../src/pipeline.js';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { readRun, runCliAgainst, samplesWritten, tempDir } from './helpers/runs.js';
import { startOpenAIServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

const suite = loadBuiltinSmokeSuite('safety-checks');

const runAgainst = (programme: Record<string, unknown>, flags: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  runCliAgainst(programme, flags, { env });

describe('a run against a good model', () => {
  it('measures every metric from real calls, with the counts behind them', async () => {
    const { result, report, samples, server } = await runAgainst({});
    expect(result.code).toBe(0);
    expect(report.verdict).toBe('no-baseline');
    expect(report.status).toBe('complete');
    expect(report.suite?.fingerprint).toBe(suite.fingerprint);
    expect(samples).toHaveLength(1 + suite.scenarios.length * 3);
    expect(samples[0]).toMatchObject({ phase: 'cold', run: 0, scenario: 'birth-date-aberrant' });

    const metrics = report.targets[0]!.measurement!.metrics;
    expect(metrics.detectionRatePct).toEqual({ value: 100, n: 15, count: 15 });
    expect(metrics.falsePositiveRatePct).toEqual({ value: 0, n: 12, count: 0 });
    expect(metrics.jsonValidRatePct).toEqual({ value: 100, n: 27, count: 27 });
    expect(metrics.schemaValidRatePct).toEqual({ value: 100, n: 27, count: 27 });
    expect(metrics.errorRatePct).toEqual({ value: 0, n: 27, count: 0 });
    expect(metrics.coldStartMs.value).toBe(samples[0]!.latencyMs);
    expect(metrics.warmLatencyP95Ms.n).toBe(27);
    expect(metrics.ttftP50Ms.n).toBe(27);
    expect(metrics.outputTokensPerSecond.n).toBe(27);
    expect(samples.every((sample) => sample.outputTokensSource === 'server')).toBe(true);

    // What reached the server: the last scenario's image as a data URL, JSON mode, streaming with usage.
    const stats = await server.stats();
    expect(stats.chat).toBe(samples.length);
    expect(stats.lastChat).toMatchObject({
      model: 'test-model',
      stream: true,
      streamOptions: { include_usage: true },
      responseFormat: { type: 'json_object' },
      temperature: 0,
      maxTokens: 512,
      imageSha256: suite.scenarios.at(-1)!.image!.sha256,
    });
    expect(stats.lastChat?.promptStart).toBe(suite.prompt.slice(0, 80));
  });

  it('asks for JSON the way json-mode says: the suite schema, or no response_format at all', async () => {
    const withSchema = await runAgainst({}, ['--json-mode', 'json_schema', '--warm-runs', '1']);
    expect((await withSchema.server.stats()).lastChat?.responseFormat).toEqual({
      type: 'json_schema',
      json_schema: { name: 'answer', schema: suite.output.schema, strict: false },
    });
    const plain = await runAgainst({}, ['--json-mode', 'none', '--warm-runs', '1']);
    expect((await plain.server.stats()).lastChat?.responseFormat).toBeNull();
    expect(plain.report.verdict).toBe('no-baseline');
  });

  it('breaks metrics down per category and per scenario', async () => {
    const { report } = await runAgainst({}, ['--warm-runs', '2']);
    const measurement = report.targets[0]!.measurement!;
    expect(Object.keys(measurement.categories)).toEqual(['identity', 'coding', 'billing', 'clean']);
    expect(measurement.categories.identity!.detectionRatePct).toEqual({ value: 100, n: 4, count: 4 });
    expect(measurement.categories.clean!.falsePositiveRatePct).toEqual({ value: 0, n: 8, count: 0 });
    expect(measurement.scenarios.find((scenario) => scenario.scenario === 'diagnosis-empty')).toEqual({
      scenario: 'diagnosis-empty',
      category: 'coding',
      anomaly: true,
      runs: 2,
      detected: 2,
      flagged: 2,
      jsonValid: 2,
      schemaValid: 2,
      errors: 0,
      truncated: 0,
      attempts: 2,
      attemptErrors: 0,
    });
  });
});

describe('programmable quality and failures', () => {
  it('counts misses and false alarms exactly as the samples show them', async () => {
    const { report, samples, summary } = await runAgainst({ quality: { hitRate: 0.5 }, seed: 7 }, ['--warm-runs', '4']);
    const warm = samples.filter((sample) => sample.phase === 'warm');
    const anomalies = warm.filter((sample) => sample.anomaly);
    const clean = warm.filter((sample) => !sample.anomaly);
    const detected = anomalies.filter((sample) => sample.detected).length;
    const falseAlarms = clean.filter((sample) => sample.flagged).length;
    expect(detected).toBeGreaterThan(0);
    expect(detected).toBeLessThan(anomalies.length);
    expect(falseAlarms).toBeGreaterThan(0);
    const metrics = report.targets[0]!.measurement!.metrics;
    expect(metrics.detectionRatePct).toEqual({
      value: Math.round((detected / anomalies.length) * 10000) / 100,
      n: anomalies.length,
      count: detected,
    });
    expect(metrics.falsePositiveRatePct).toEqual({
      value: Math.round((falseAlarms / clean.length) * 10000) / 100,
      n: clean.length,
      count: falseAlarms,
    });
    expect(summary).toContain('| Detection rate |');
    expect(summary).toMatch(/\| `clean-[a-z-]+` \| \d+ \| false-positive \|/);
    expect(summary).toMatch(/\| `[a-z-]+` \| \d+ \| missed \|/);
  });

  it('measures the injected time to first token and per-token delay', async () => {
    const { report, samples } = await runAgainst({ latency: { ttftMs: 60, perTokenMs: 3 } }, ['--warm-runs', '1']);
    const metrics = report.targets[0]!.measurement!.metrics;
    // libuv timers have whole-millisecond resolution, so each of the server's two waits (for the
    // first token, then for the last) can end up to a millisecond before its nominal deadline.
    const timerSlackMs = 2;
    expect(metrics.ttftP50Ms.value).toBeGreaterThanOrEqual(60 - timerSlackMs);
    expect(metrics.ttftP50Ms.value).toBeLessThan(60 + 40);
    for (const sample of samples) {
      expect(sample.latencyMs).toBeGreaterThanOrEqual(60 + (sample.outputTokens! - 1) * 3 - timerSlackMs);
    }
  });

  it('classifies HTTP errors, counts them, and fails a max-error-rate threshold', async () => {
    const { result, report, samples, summary } = await runAgainst(
      { failures: { errorRate: 0.4, errorStatus: 503 }, seed: 3 },
      ['--max-error-rate-pct', '5'],
    );
    const errors = samples.filter((sample) => sample.phase === 'warm' && sample.errorClass !== null);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((sample) => sample.errorClass))).toEqual(new Set(['http-503']));
    expect(report.targets[0]!.measurement!.metrics.errorRatePct.count).toBe(errors.length);
    expect(report.verdict).toBe('fail');
    expect(result.code).toBe(1);
    expect(report.verdictReason).toMatch(
      /^1 of 1 thresholds not met: errorRatePct [\d.]+ > 5 \(max-error-rate-pct\) on test-model\.$/,
    );
    expect(summary).toContain('| Errors ❌ |');
    expect(summary).toContain('| `test-model` | max-error-rate-pct 5 |');
  });

  it('ends hanging calls at the timeout, and stops the target after five in a row', async () => {
    const { result, report, samples } = await runAgainst({ failures: { hangRate: 1 } }, [
      '--timeout',
      '0.3',
      '--warm-runs',
      '1',
    ]);
    expect(samples).toHaveLength(5);
    expect(
      // Ended by the timeout, not by the server: well under the server's own hang, even late on a loaded machine.
      samples.every(
        (sample) => sample.errorClass === 'timeout' && sample.latencyMs >= 250 && sample.latencyMs < 10_000,
      ),
    ).toBe(true);
    expect(report.verdict).toBe('error');
    expect(result.code).toBe(2);
    expect(report.verdictReason).toBe(
      'Target "test-model": 5 calls in a row timed out (no complete answer within 0.3 s), so its remaining 5 calls were not made: the endpoint stopped answering after 0 successful calls. The samples taken are in the report.',
    );
  });

  it('says no call succeeded when every call fails without the endpoint going silent', async () => {
    const { report } = await runAgainst({ failures: { errorRate: 1, errorStatus: 400 } }, ['--warm-runs', '1']);
    expect(report.verdictReason).toBe(
      'No call to target "test-model" succeeded: http-400 (400 Injected failure (HTTP 400)).',
    );
  });

  it('passes or fails on absolute thresholds', async () => {
    const passing = await runAgainst({}, [
      '--min-detection-rate-pct',
      '90',
      '--max-false-positive-rate-pct',
      '10',
      '--min-json-valid-rate-pct',
      '95',
    ]);
    expect(passing.report.verdict).toBe('no-baseline');
    expect(passing.result.code).toBe(0);
    expect(passing.report.thresholdChecks.map((check) => check.passed)).toEqual([true, true, true]);
    const failing = await runAgainst({ quality: { hitRate: 0.3 }, seed: 11 }, ['--min-detection-rate-pct', '90']);
    expect(failing.result.code).toBe(1);
    expect(failing.report.thresholdChecks[0]).toMatchObject({
      threshold: 'min-detection-rate-pct',
      metric: 'detectionRatePct',
      limit: 90,
      passed: false,
    });
    expect(failing.result.stdout).toContain('## model-gate: ❌ fail');
  });
});

describe('config files', () => {
  it('runs several targets from a YAML config, keys taken from the environment', async () => {
    const good = await startOpenAIServer(suiteProgramme({ models: ['qwen2-vl-7b'] }));
    const keyed = await startOpenAIServer(
      suiteProgramme({ models: ['qwen2-vl-7b-awq'], apiKey: 'sk-test-4f9a2c', quality: { hitRate: 0.6 } }),
    );
    const dir = tempDir();
    const config = join(dir, 'model-gate.yml');
    writeFileSync(
      config,
      [
        'version: 1',
        'targets:',
        '  - name: fp16',
        `    base-url: ${good.url}/v1`,
        '    model: qwen2-vl-7b',
        '  - name: awq',
        `    base-url: ${keyed.url}/v1`,
        '    model: qwen2-vl-7b-awq',
        '    api-key-env: AWQ_KEY',
        'settings:',
        '  warm-runs: 2',
        'thresholds:',
        '  min-json-valid-rate-pct: 90',
        `report-dir: ${join(dir, 'out')}`,
      ].join('\n'),
    );
    const result = await runCli(['run', '--config', config], { env: { AWQ_KEY: 'sk-test-4f9a2c' } });
    const { report, samples } = readRun(join(dir, 'out'));
    expect(result.code).toBe(0);
    expect(report.targets.map((target) => [target.name, target.completedCalls])).toEqual([
      ['fp16', 19],
      ['awq', 19],
    ]);
    expect(new Set(samples.map((sample) => sample.target))).toEqual(new Set(['fp16', 'awq']));
    expect(report.thresholdChecks).toHaveLength(2);
    expect((await keyed.stats()).unauthorized).toBe(0);
  });
});

describe('secrets', () => {
  it('never writes the API key to any output, even when the server echoes it', async () => {
    const key = 'sk-fake-7d3e9b1c55';
    // The server answers with the key in its text, as a misbehaving model or error page could.
    const { result, dir } = await runAgainst(
      { apiKey: key, defaultAnswer: `{"additional_checks": [{"label": "${key}", "evidence": "${key}"}]}`, answers: {} },
      ['--api-key-env', 'TEST_KEY', '--warm-runs', '1'],
      { TEST_KEY: key },
    );
    expect(result.code).toBe(0);
    for (const file of ['report.json', 'summary.md', 'samples.jsonl', 'comment.md', 'junit.xml'])
      expect(readFileSync(join(dir, file), 'utf8')).not.toContain(key);
    expect(result.stdout + result.stderr).not.toContain(key);
  });
});

describe('cancellation', () => {
  it('writes a valid partial report holding every sample taken when interrupted', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 150 } }));
    const dir = tempDir();
    let pid = 0;
    const running = runCli(['run', '--base-url', `${server.url}/v1`, '--model', 'test-model', '--report-dir', dir], {
      onStart: (started) => (pid = started),
    });
    // Interrupt once a few samples are on disk.
    await samplesWritten(dir, 3);
    process.kill(pid, 'SIGINT');
    const result = await running;
    const { report, samples } = readRun(dir);
    expect(result.code).toBe(130);
    expect(report.status).toBe('cancelled');
    expect(report.verdict).toBe('error');
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.length).toBeLessThan(28);
    expect(report.targets[0]!.completedCalls).toBe(samples.length);
    expect(report.verdictReason).toBe(
      `The run was cancelled after ${samples.length} calls; the report holds the samples taken so far.`,
    );
  });
});

describe('recording', () => {
  it('scores and logs each answer of a one-at-a-time run once the next request, body included, is on the wire, in call order', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 20 } }));
    // The request ids as undici writes each request's headers to the socket.
    const onTheWire: string[] = [];
    const onHeaders = (message: unknown) => {
      const id = /\r\nx-request-id: *([^\r\n]+)/i.exec(String((message as { headers?: unknown }).headers))?.[1];
      if (id) onTheWire.push(id);
    };
    let bodiesSent = 0;
    const onBodySent = (message: unknown) =>
      (bodiesSent += (message as { request?: { method?: string } }).request?.method === 'POST' ? 1 : 0);
    subscribe('undici:client:sendHeaders', onHeaders);
    subscribe('undici:request:bodySent', onBodySent);
    const recorded: { requestId: string; sentBefore: number }[] = [];
    const quiet = () => undefined;
    try {
      await runModelGate({
        inputs: {
          'base-url': `${server.url}/v1`,
          model: 'test-model',
          'suite-size': 'smoke',
          'warm-runs': '2',
          'report-dir': tempDir(),
        },
        configPath: '/nonexistent/model-gate.yml',
        configRequired: false,
        env: {},
        nameOf: cliFlagName,
        signal: new AbortController().signal,
        toolVersion: 'test',
        log: { info: quiet, warn: quiet, debug: quiet },
        onSample: (sample) => recorded.push({ requestId: sample.requestId!, sentBefore: bodiesSent }),
      });
    } finally {
      unsubscribe('undici:client:sendHeaders', onHeaders);
      unsubscribe('undici:request:bodySent', onBodySent);
    }
    expect(recorded).toHaveLength(1 + 2 * loadBuiltinSmokeSuite('safety-checks').scenarios.length);
    expect(recorded.map((entry) => entry.requestId)).toEqual(onTheWire);
    // Call n is recorded once the whole request of call n + 1 is out; the last one when the run ends.
    recorded.slice(0, -1).forEach((entry, index) => expect(entry.sentBefore).toBe(index + 2));
  });
});
