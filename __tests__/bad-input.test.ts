// Bad input gets one clear message naming the file, field, flag or URL and the fix, and a report:
// never a stack trace.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { readReport, tempDir } from './helpers/runs.js';
import { freePort, startOpenAIServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

function expectNoStackTrace(output: string) {
  expect(output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
}

/** The CLI with flags, aimed at a port where nothing listens: it stops on the flags before any call. */
async function runWithFlags(flags: string[]) {
  const dir = tempDir();
  const result = await runCli([
    'run',
    '--base-url',
    'http://127.0.0.1:9/v1',
    '--model',
    'm',
    ...flags,
    '--report-dir',
    dir,
  ]);
  const report = readReport(dir);
  return { result, report, reason: report.verdictReason };
}

async function runWithConfig(yaml: string, extra: string[] = []) {
  const dir = tempDir();
  const config = join(dir, 'model-gate.yml');
  writeFileSync(config, yaml);
  const result = await runCli(['run', '--config', config, '--report-dir', dir, ...extra]);
  return { dir, config, result, report: readReport(dir) };
}

describe('bad input', () => {
  it('a config file that is not YAML: file and line', async () => {
    const { result, report, config } = await runWithConfig('targets:\n  - name: a\n    base-url: [http://x\n');
    expect(result.code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', status: 'failed', error: { kind: 'config' } });
    expect(report.verdictReason).toMatch(
      new RegExp(`^Config file ${config} is not valid YAML \\(line \\d\\): .+\\. Fix the YAML syntax there\\.$`),
    );
    expect(result.stdout).toContain('## model-gate: ⚠️ error');
    expectNoStackTrace(result.stdout + result.stderr);
  });

  it('a wrong field: file, field path, line and what is expected', async () => {
    const { result, report, config } = await runWithConfig(
      'version: 1\ntargets:\n  - name: vllm\n    base-url: localhost:8000\n    model: qwen\n',
    );
    expect(result.code).toBe(2);
    expect(report.verdictReason).toBe(
      `Config file ${config}: targets[0].base-url (line 4): expected an http:// or https:// URL such as http://127.0.0.1:8000/v1. See "Config file" in docs/usage.md for the allowed fields.`,
    );
  });

  it('a field left out: named as missing, with what to write and the line of its section', async () => {
    const { report, config } = await runWithConfig('version: 1\ntargets:\n  - name: vllm\n    model: qwen\n');
    expect(report.verdictReason).toBe(
      `Config file ${config}: targets[0].base-url (line 3): missing; add it, with text. See "Config file" in docs/usage.md for the allowed fields.`,
    );
  });

  it('an unknown key and a wrong-typed setting, both named', async () => {
    const { report, config } = await runWithConfig('settings:\n  warmruns: 3\n  concurrency: lots\n');
    expect(report.verdictReason).toBe(
      `Config file ${config}: settings.warmruns (line 2): unknown key (allowed here: warm-runs, concurrency, latency-concurrency, latency-runs, timeout, ready-timeout, temperature, max-tokens, retries); settings.concurrency (line 3): expected a whole number from 1 to 256. See "Config file" in docs/usage.md for the allowed fields.`,
    );
  });

  it('a gate on an unknown metric, and a wrong alpha', async () => {
    const { report, config } = await runWithConfig('gates:\n  latency: { margin: 5 }\nalpha: 0.5\n');
    expect(report.verdictReason).toBe(
      `Config file ${config}: gates.latency (line 2): unknown metric (allowed: detection-rate-pct, false-positive-rate-pct, json-valid-rate-pct, schema-valid-rate-pct, truncated-rate-pct, error-rate-pct, cold-start-ms, warm-latency-mean-ms, warm-latency-p50-ms, warm-latency-p95-ms, ttft-p50-ms, ttft-p95-ms, output-tokens-per-second, server-tokens-per-second, inter-token-mean-ms, inter-token-p95-ms, entity-recall-pct, entity-precision-pct, relation-recall-pct, ocr-recall-pct, ocr-jaccard-pct, tool-accuracy-pct, argument-match-pct, keyword-match-pct, coordinate-hit-pct, format-adherence-pct); alpha (line 3): expected a number from 0.0001 to 0.2 (the false-alarm rate of a whole run, e.g. 0.01). See "Config file" in docs/usage.md for the allowed fields.`,
    );
  });

  it('a config file named but missing', async () => {
    const dir = tempDir();
    const result = await runCli(['run', '--config', join(dir, 'nope.yml'), '--report-dir', dir]);
    expect(result.code).toBe(2);
    expect(readReport(dir).verdictReason).toBe(
      `Config file ${join(dir, 'nope.yml')} does not exist. Create it (see "Config file" in docs/usage.md) or point the config input / --config flag at the right path.`,
    );
  });

  it('an unknown suite: lists the built-in ones', async () => {
    const { result, report } = await runWithFlags(['--suite', 'slides']);
    expect(result.code).toBe(2);
    expect(report).toMatchObject({ verdict: 'error', status: 'failed', error: { kind: 'suite' } });
    expect(report.verdictReason).toBe(
      'Unknown suite "slides". Built-in suites: safety-checks, slide-extraction, ui-coordinates, voice-commands; a suite of your own is a path to its YAML file, such as .github/model-gate/my-suite.yml. Run "model-gate suites" to list the built-in ones with their fingerprints.',
    );
  });

  it('a non-numeric setting: the flag, the value and what is allowed', async () => {
    const { result, reason } = await runWithFlags(['--warm-runs', 'abc']);
    expect(result.code).toBe(2);
    expect(reason).toBe('--warm-runs is "abc": expected a whole number from 1 to 1000.');
    expectNoStackTrace(result.stdout + result.stderr);
  });

  it('a suite size that is none: the flag or the field, and the sizes there are', async () => {
    const { result, reason } = await runWithFlags(['--suite-size', 'huge']);
    expect(result.code).toBe(2);
    expect(reason).toBe(
      '--suite-size is "huge": expected smoke, standard, full or a number of scenarios from 1 to 10000.',
    );
    // A YAML true is not the number 1.
    const { report, config } = await runWithConfig('suite-size: true\n');
    expect(report.verdictReason).toBe(
      `Config file ${config}: suite-size (line 1): expected smoke, standard, full or a number of scenarios from 1 to 10000. See "Config file" in docs/usage.md for the allowed fields.`,
    );
  });

  it('a base URL without a model, and no target at all', async () => {
    const dir = tempDir();
    const partial = await runCli(['run', '--base-url', 'http://127.0.0.1:9/v1', '--report-dir', dir]);
    expect(readReport(dir).verdictReason).toBe(
      '--base-url is set but --model is not: give the model name the server serves (GET {base-url}/models lists them).',
    );
    expect(partial.code).toBe(2);
    const none = await runCli(['run', '--report-dir', dir], { cwd: dir });
    expect(none.code).toBe(2);
    expect(readReport(dir).verdictReason).toBe(
      'No endpoint to test: set --base-url and --model, or list targets in the config file (.github/model-gate.yml). Example: base-url http://127.0.0.1:8000/v1, model Qwen/Qwen2.5-VL-7B-Instruct.',
    );
  });

  it('an API key variable that is empty', async () => {
    const { result, reason } = await runWithFlags(['--api-key-env', 'MODEL_GATE_UNSET_KEY']);
    expect(result.code).toBe(2);
    expect(reason).toBe(
      'Target "m" takes its API key from the environment variable MODEL_GATE_UNSET_KEY (--api-key-env), but that variable is empty or unset. Set it in the step\'s env: from a secret, or remove api-key-env if the server needs no key.',
    );
  });

  it('an unreachable endpoint: the diagnosis, a report, exit 2', async () => {
    const dir = tempDir();
    const port = await freePort();
    const result = await runCli([
      'run',
      '--base-url',
      `http://127.0.0.1:${port}/v1`,
      '--model',
      'm',
      '--report-dir',
      dir,
    ]);
    expect(result.code).toBe(2);
    const report = readReport(dir);
    expect(report.status).toBe('partial');
    expect(report.targets[0]!.preflight.ok).toBe(false);
    expect(report.verdictReason).toContain(`nothing is listening at 127.0.0.1:${port}`);
    // The diagnosis on stderr, once, as plain text; the summary (the result) on stdout.
    const diagnoses = result.stderr
      .split('\n')
      .filter((line) => line.includes(`nothing is listening at 127.0.0.1:${port}`));
    expect(diagnoses).toHaveLength(1);
    expect(diagnoses[0]).toMatch(/^model-gate: /);
    expect(diagnoses[0]).not.toMatch(/\\[[\]_*`]|&lt;|&gt;|&amp;/);
    expect(result.stdout).toMatch(/^## model-gate: ⚠️ error/);
  });

  it('a run that cannot be gated says why on stderr, and its result on stdout', async () => {
    const server = await startOpenAIServer(suiteProgramme({}));
    const result = await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--report-dir',
      tempDir(),
      '--baseline-dir',
      tempDir(),
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^## model-gate: .* no-baseline/);
    expect(result.stderr).toMatch(/^model-gate: No baseline .*$/m);
  });

  it('a model that answers prose instead of JSON', async () => {
    const server = await startOpenAIServer(suiteProgramme({ quality: { proseRate: 1 } }));
    const dir = tempDir();
    const result = await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--warm-runs',
      '1',
      '--report-dir',
      dir,
    ]);
    expect(result.code).toBe(2);
    const report = readReport(dir);
    expect(report.targets[0]!.measurement!.metrics.jsonValidRatePct).toEqual({ value: 0, n: 9, count: 0 });
    expect(report.verdictReason).toBe(
      'No answer from target "test-model" was valid JSON (9 answers; see "Calls worth a look" in the summary). The server may ignore response_format json_object (llama.cpp does in its default mode), or the model does not follow the output format: try json-mode json_schema.',
    );
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(summary).toContain(
      '| `birth-date-aberrant` | 1 | invalid-json | `I looked at the screen carefully and nothing seems unusual to me.` |',
    );
  });

  it('an unknown flag or command', async () => {
    const flag = await runCli(['run', '--warmruns', '3']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^model-gate: Unknown option '--warmruns'.*Run "model-gate --help" for usage\.\n$/);
    const command = await runCli(['frobnicate']);
    expect(command.stderr).toBe('model-gate: Unknown command "frobnicate". Run "model-gate --help" for usage.\n');
  });
});
