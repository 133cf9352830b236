// Conformance against a real llama.cpp llama-server (../shared/llama-server, or MODEL_GATE_LLAMA_SERVER):
// real loading, real 401s, real truncation under a grammar, real tool dropping, real image tokens,
// a real crash and restart. The project's test servers stay for the faults no real server produces.
import { afterAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../src/report/report.js';
import type { Sample } from '../src/run/sample.js';
import { runCli } from './helpers/processes.js';
import {
  ALIAS,
  LLAMA_DIR,
  LLAMA_SERVER,
  llamaArgs,
  llamaServerAvailable,
  MODELS,
  startLlamaServer,
  stopAllLlamaServers,
  type LlamaServer,
} from './helpers/llama-server.js';
import { readRun, samplesWritten, tempDir } from './helpers/runs.js';
import { freePort } from './helpers/servers.js';

afterAll(stopAllLlamaServers);

const SKIPPED = `llama-server conformance skipped: no llama-server at ${LLAMA_SERVER}; set MODEL_GATE_LLAMA_SERVER to a llama.cpp llama-server binary with the models of ../shared/llama-server beside it`;
if (!llamaServerAvailable) process.stderr.write(`${SKIPPED}\n`);
// CI has the binary: there, a missing one is a failure rather than a quiet skip.
const required = process.env.MODEL_GATE_REQUIRE_LLAMA_SERVER === '1';
const describeReal = llamaServerAvailable ? describe : describe.skip;
if (!llamaServerAvailable && required)
  it('finds the llama-server binary (MODEL_GATE_REQUIRE_LLAMA_SERVER=1)', () => {
    throw new Error(SKIPPED.replace('skipped', 'cannot run'));
  });

const STORY_PROMPTS = [
  'a cat',
  'a dog',
  'a red ball',
  'a big tree',
  'the sea',
  'a little bird',
  'a toy car',
  'the moon',
  'a garden',
  'a birthday cake',
  'a rainy day',
  'a new friend',
];

/** The suite's head: one tool, and an output schema whose grammar keeps the tiny model's answers short. */
const TOOL_SUITE_HEAD = [
  'version: 1',
  `prompt: ${JSON.stringify('Call the tool name_hero with the name of the hero of your story.')}`,
  'tools:',
  '  - name: name_hero',
  '    description: Names the hero of a story.',
  '    parameters: { type: object, properties: { name: { type: string } } }',
  'output:',
  '  schema:',
  '    type: object',
  '    required: [tool, arguments]',
  '    additionalProperties: false',
  '    properties:',
  '      tool: { type: string, enum: [name_hero] }',
  '      arguments:',
  '        { type: object, required: [name], additionalProperties: false, properties: { name: { type: string, maxLength: 12 } } }',
  'scorer: { kind: tool-call }',
];

/**
 * A text suite the tiny model answers quickly and deterministically: a name under a grammar.
 * `expected` holds the name each scenario's answer must give (recorded from the clean model);
 * without it, only the tool is checked.
 */
function writeStorySuite(dir: string, expected: Record<string, string> = {}): string {
  const file = join(dir, 'stories.yml');
  const scenarios = STORY_PROMPTS.map((subject, index) => {
    const id = `story-${index + 1}`;
    const name = expected[id];
    return [
      `  - id: ${id}`,
      '    category: stories',
      `    prompt: ${JSON.stringify(`Tell me a story about ${subject}.`)}`,
      `    expect: { tool: name_hero${name === undefined ? '' : `, arguments: { name: ${JSON.stringify(name)} }`} }`,
    ].join('\n');
  });
  writeFileSync(
    file,
    [
      'id: stories',
      'title: Story heroes',
      "description: The hero's name in the tiny model's stories, as the clean model gives it.",
      ...TOOL_SUITE_HEAD,
      'scenarios:',
      ...scenarios,
      '',
    ].join('\n'),
  );
  return file;
}

/** A config for one target at the server, gating quality only: timing on a busy test machine is not the point here. */
function writeConfig(dir: string, suite: string, url: string, extra: string[] = []): string {
  const file = join(dir, 'model-gate.yml');
  writeFileSync(
    file,
    [
      'version: 1',
      `suite: ${suite}`,
      'targets:',
      '  - name: stories',
      `    base-url: ${url}/v1`,
      `    model: ${ALIAS}`,
      '    json-mode: json_schema',
      '    tool-mode: json',
      ...extra,
      'settings:',
      '  max-tokens: 128',
      '  ready-timeout: 60',
      '  timeout: 60',
      'gates:',
      '  cold-start-ms: { gate: false }',
      '  warm-latency-p50-ms: { gate: false }',
      '  warm-latency-p95-ms: { gate: false }',
      '  argument-match-pct: { gate: true }',
      '',
    ].join('\n'),
  );
  return file;
}

async function cli(
  args: string[],
  reportDir: string,
  env: NodeJS.ProcessEnv = {},
  onStderr?: (stderr: string) => void,
) {
  const started = Date.now();
  const result = await runCli([...args, '--report-dir', reportDir], {
    timeoutMs: 240_000,
    env: { ...process.env, ...env },
    ...(onStderr ? { onStderr } : {}),
  });
  if (!existsSync(join(reportDir, 'samples.jsonl')))
    throw new Error(`model-gate ${args[0]} wrote no samples (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  return { result, ...readRun(reportDir), seconds: (Date.now() - started) / 1000 };
}

/** A run of a suite against the server, with the flags given. */
const runAt = (server: LlamaServer, suite: string, flags: string[], reportDir: string) =>
  cli(['run', '--base-url', `${server.url}/v1`, '--model', ALIAS, '--suite', suite, ...flags], reportDir);

const warm = (samples: readonly Sample[]) => samples.filter((sample) => sample.phase === 'warm');
const metric = (report: Report, name: keyof NonNullable<Report['targets'][number]['measurement']>['metrics']) =>
  report.targets[0]!.measurement!.metrics[name];

describeReal('a real llama.cpp llama-server', () => {
  it("preflight: a missing key is named with the key guidance, an unserved name with llama.cpp's --alias", async () => {
    const server = await startLlamaServer({ apiKey: 'conformance-secret' });
    const dir = tempDir('model-gate-llama-');
    const noKey = await runAt(server, 'voice-commands', [], join(dir, 'no-key'));
    expect(noKey.result.code).toBe(2);
    expect(noKey.report.verdictReason).toBe(
      `Target "${ALIAS}": the server requires an API key (HTTP 401 on GET ${server.url}/v1/models) and none was given. It was started with an API key (vLLM and llama.cpp: --api-key): put that key in a secret and pass it with api-key or api-key-env.`,
    );
    const wrongName = await cli(
      [
        'run',
        '--base-url',
        `${server.url}/v1`,
        '--model',
        'Qwen/Qwen2.5-7B-Instruct',
        '--suite',
        'voice-commands',
        '--api-key-env',
        'LLAMA_KEY',
      ],
      join(dir, 'wrong-name'),
      { LLAMA_KEY: 'conformance-secret' },
    );
    expect(wrongName.result.code).toBe(2);
    expect(wrongName.report.verdictReason).toContain(`It serves: ${ALIAS}.`);
    expect(wrongName.report.verdictReason).toContain('llama.cpp: --alias, without which the id is the -m path');
    expect(wrongName.samples).toEqual([]);
    // The key never reaches a file.
    expect(readFileSync(join(dir, 'wrong-name', 'report.json'), 'utf8')).not.toContain('conformance-secret');
    await server.stop();
  });

  it("an unchanged model passes, the degraded one fails on quality; tokens/s agrees with the server's own", async () => {
    const server = await startLlamaServer();
    const dir = tempDir('model-gate-llama-');
    const baselines = join(dir, 'baselines');
    // What the clean model names for each story, recorded once, becomes the suite's ground truth.
    const draft = writeConfig(dir, writeStorySuite(dir), server.url);
    const recorded = await cli(['run', '--config', draft, '--warm-runs', '1'], join(dir, 'draft'));
    const expected: Record<string, string> = {};
    for (const sample of warm(recorded.samples)) {
      const answer = JSON.parse(sample.excerpt) as { arguments: { name: string } };
      expected[sample.scenario] = answer.arguments.name;
    }
    expect(Object.keys(expected)).toHaveLength(STORY_PROMPTS.length);
    const config = writeConfig(dir, writeStorySuite(dir, expected), server.url);

    const baseline = await cli(['baseline', '--config', config, '--baseline-dir', baselines], join(dir, 'baseline'));
    expect(baseline.result.code).toBe(0);
    const unchanged = await cli(['run', '--config', config, '--baseline-dir', baselines], join(dir, 'unchanged'));
    expect(unchanged.report.verdictReason).toMatch(/^No regression/);
    expect(unchanged.result.code).toBe(0);
    expect(metric(unchanged.report, 'argumentMatchPct').value).toBe(100);
    // A metric the suite has no data for is neither shown nor tested.
    expect(unchanged.summary).not.toContain('False-positive rate');
    expect(unchanged.report.metricVerdicts.map((verdict) => verdict.metric)).not.toContain('falsePositiveRatePct');
    expect(unchanged.summary).toContain('latency timed with one call in flight');

    // Tokens/s from the server's token counts, beside the server's own decode rate.
    const client = metric(unchanged.report, 'outputTokensPerSecond').value!;
    const own = metric(unchanged.report, 'serverTokensPerSecond').value!;
    const calls = unchanged.samples.length;
    process.stderr.write(
      `llama-server conformance: ${calls} calls in ${unchanged.seconds.toFixed(1)} s; output tokens/s ${client} (model-gate) against ${own} (the server's own timings), ratio ${(client / own).toFixed(3)}\n`,
    );
    expect(client / own).toBeGreaterThan(0.75);
    expect(client / own).toBeLessThan(1.25);

    await server.stop();
    const degraded = await startLlamaServer({ model: MODELS.degraded, port: server.port });
    const worse = await cli(['run', '--config', config, '--baseline-dir', baselines], join(dir, 'degraded'));
    expect(worse.result.code).toBe(1);
    expect(worse.report.verdict).toBe('fail');
    expect(worse.report.metricVerdicts).toContainEqual(
      expect.objectContaining({ metric: 'argumentMatchPct', status: 'regressed' }),
    );
    await degraded.stop();
    // Four runs against a real model: about 30 s on an idle 2-core machine, past a minute on a busy one.
  }, 240_000);

  it('answers cut off at max-tokens are truncation, not bad JSON, with advice that fits', async () => {
    const server = await startLlamaServer();
    const dir = tempDir('model-gate-llama-');
    const cut = await runAt(
      server,
      'voice-commands',
      ['--tool-mode', 'json', '--json-mode', 'json_schema', '--max-tokens', '12', '--warm-runs', '1'],
      join(dir, 'cut'),
    );
    expect(cut.result.code).toBe(2);
    const answers = warm(cut.samples).length;
    expect(cut.report.verdictReason).toBe(
      `No answer from target "${ALIAS}" was complete JSON: ${answers} of ${answers} were cut off at max-tokens (12) with finish_reason length. Raise max-tokens, or bound the output schema's strings (maxLength) so that an answer ends.`,
    );
    expect(warm(cut.samples).every((sample) => sample.finishReason === 'length')).toBe(true);
    expect(metric(cut.report, 'truncatedRatePct')).toMatchObject({ value: 100, n: answers });
    // JSON validity is taken over the answers that were not cut off: none here.
    expect(metric(cut.report, 'jsonValidRatePct')).toMatchObject({ value: null, n: 0 });
    expect(cut.report.targets[0]!.notableSamples.every((sample) => sample.problem === 'truncated')).toBe(true);
    await server.stop();
  }, 180_000);

  it('tools the server drops (its template has no tool calls) are named as such, not as a response_format problem', async () => {
    const server = await startLlamaServer();
    const dir = tempDir('model-gate-llama-');
    const ignored = await runAt(
      server,
      'voice-commands',
      ['--max-tokens', '12', '--warm-runs', '1'],
      join(dir, 'tools'),
    );
    expect(ignored.result.code).toBe(2);
    expect(ignored.report.verdictReason).toMatch(
      new RegExp(
        `^No answer from target "${ALIAS}" made a tool call \\(\\d+ answers, plain text instead\\): the server ignores the tools it is sent\\.`,
      ),
    );
    expect(ignored.report.verdictReason).toContain('--jinja');
    expect(ignored.report.verdictReason).not.toContain('response_format');
    await server.stop();
  });

  it('a crash and restart mid-run is ridden out and said in the headline; without retries the lost call fails the run', async () => {
    const dir = tempDir('model-gate-llama-');
    for (const retries of ['2', '0']) {
      const server = await startLlamaServer();
      const config = writeConfig(dir, writeStorySuite(dir), server.url);
      const reportDir = join(dir, `restart-${retries}`);
      let noticed: () => void = () => undefined;
      const outageNoticed = new Promise<void>((resolve) => (noticed = resolve));
      const run = cli(
        ['run', '--config', config, '--warm-runs', '3', '--retries', retries, '--ready-timeout', '60'],
        reportDir,
        {},
        (stderr) => {
          if (stderr.includes('the server stopped answering')) noticed();
        },
      );
      await samplesWritten(reportDir, 6);
      server.child.kill('SIGKILL');
      // Restarted once the run has seen it gone, as a supervisor restarting it would.
      await outageNoticed;
      const restarted = await startLlamaServer({ port: server.port });
      const { result, report } = await run;
      const outage = report.targets[0]!.outages[0]!;
      expect(outage).toMatchObject({ downMs: expect.any(Number) });
      if (retries === '2') {
        expect(outage.callsLost).toBe(0);
        expect(result.code).toBe(0);
        expect(report.verdictReason).toMatch(
          /^The server of target "stories" stopped answering during the run \(down \d+\.\d s from [\d:]+ UTC: .+\); every call it interrupted was made again once it was back\. /,
        );
        expect(report.targets[0]!.completedCalls).toBe(report.targets[0]!.plannedCalls);
      } else {
        expect(outage.callsLost).toBeGreaterThan(0);
        expect(result.code).toBe(2);
        expect(report.verdictReason).toMatch(/^Target "stories" lost \d+ calls? to a server outage \(down/);
        expect(report.metricVerdicts).toEqual([]);
      }
      await restarted.stop();
    }
  }, 180_000);

  it('images: sent and counted as prompt tokens with --mmproj; without it, one sentence after the first call', async () => {
    const dir = tempDir('model-gate-llama-');
    copyFileSync(join(LLAMA_DIR, 'test-image.png'), join(dir, 'test-image.png'));
    const suite = join(dir, 'pictures.yml');
    writeFileSync(
      suite,
      [
        'id: pictures',
        'title: Pictures',
        'description: The same question with and without an image.',
        ...TOOL_SUITE_HEAD,
        'scenarios:',
        '  - { id: words-only, category: text, prompt: "What is in this picture?", expect: { tool: name_hero } }',
        `  - { id: with-image, category: image, prompt: "What is in this picture?", file: test-image.png, expect: { tool: name_hero } }`,
        '',
      ].join('\n'),
    );
    const vision = await startLlamaServer({
      extra: ['-c', '4096', '--parallel', '2', '--mmproj', join(LLAMA_DIR, MODELS.projector)],
    });
    const seen = await runAt(
      vision,
      suite,
      ['--json-mode', 'json_schema', '--tool-mode', 'json', '--max-tokens', '128', '--warm-runs', '1'],
      join(dir, 'vision'),
    );
    const tokens = (id: string) => warm(seen.samples).find((sample) => sample.scenario === id)!.inputTokens!;
    // llama.cpp's projector costs 16 prompt tokens an image (and a joining space).
    expect(tokens('with-image') - tokens('words-only')).toBeGreaterThanOrEqual(16);
    await vision.stop();

    const blind = await startLlamaServer();
    const refused = await runAt(blind, 'safety-checks', ['--warm-runs', '1'], join(dir, 'blind'));
    expect(refused.result.code).toBe(2);
    expect(refused.samples).toHaveLength(1);
    expect(refused.report.verdictReason).toMatch(
      new RegExp(
        `^Target "${ALIAS}": the server does not take images \\(http-500: .*image input is not supported.*\\), and suite "safety-checks" sends them, so the target stopped at its first image instead of failing every call\\. Serve a vision model \\(llama\\.cpp: start llama-server with --mmproj`,
      ),
    );
    await blind.stop();
  });

  it('server.start runs it (refused connections and the loading 503s waited out), server.stop ends it; a start that fails shows its log', async () => {
    const dir = tempDir('model-gate-llama-');
    const port = await freePort();
    const pidFile = join(dir, 'server.pid');
    // A context this large takes the server about a second to load, behind 503s.
    const args = llamaArgs({ port, extra: ['-c', '1048576', '--parallel', '1'] });
    const start = `echo $$ > ${pidFile}; exec ${LLAMA_SERVER} ${args.map((arg) => `'${arg}'`).join(' ')}`;
    const config = writeConfig(dir, writeStorySuite(dir), `http://127.0.0.1:${port}`, [
      '    server:',
      `      start: ${JSON.stringify(start)}`,
      '      stop-grace: 5',
    ]);
    const managed = await runCli(
      ['run', '--config', config, '--warm-runs', '1', '--report-dir', join(dir, 'managed')],
      {
        timeoutMs: 240_000,
      },
    );
    const { report } = readRun(join(dir, 'managed'));
    expect(managed.stderr).toMatch(/Target "stories": started its server; waiting up to 60 s \(ready-timeout\)/);
    // The port opens before the model loads: refused connections, then 503s, waited out.
    const waited = /Target "stories": its server answers after (\d+\.\d) s\./.exec(managed.stderr);
    expect(Number(waited?.[1])).toBeGreaterThanOrEqual(0.2);
    expect(report.targets[0]!.completedCalls).toBe(report.targets[0]!.plannedCalls);
    expect(managed.code).toBe(0);
    // Stopped when the run ended: the process is gone and nothing listens on its port.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();

    // Cancelled as the runner cancels a job (SIGTERM): the server is stopped all the same.
    let cliPid = 0;
    const cancelledDir = join(dir, 'cancelled');
    const cancelled = runCli(['run', '--config', config, '--warm-runs', '3', '--report-dir', cancelledDir], {
      timeoutMs: 240_000,
      onStart: (value) => (cliPid = value),
    });
    await samplesWritten(cancelledDir, 3);
    process.kill(cliPid, 'SIGTERM');
    expect((await cancelled).code).toBe(130);
    const cancelledPid = Number(readFileSync(pidFile, 'utf8'));
    expect(cancelledPid).not.toBe(pid);
    expect(() => process.kill(cancelledPid, 0)).toThrow();

    const broken = writeConfig(dir, writeStorySuite(dir), `http://127.0.0.1:${port}`, [
      '    server:',
      `      start: ${JSON.stringify(`exec ${LLAMA_SERVER} -m ${join(dir, 'missing.gguf')} --port ${port}`)}`,
    ]);
    const failed = await runCli(['run', '--config', broken, '--report-dir', join(dir, 'broken')], {
      timeoutMs: 120_000,
    });
    const brokenRun = readRun(join(dir, 'broken'));
    expect(failed.code).toBe(2);
    expect(brokenRun.report.verdictReason).toMatch(
      /^Target "stories": the server's start command ended before the server was ready: its process exited \(exit code 1\); its last line: .+\. Its log is in the report; fix server\.start in the config file\.$/,
    );
    expect(brokenRun.report.targets[0]!.serverLog).toContain('missing.gguf');
    expect(brokenRun.summary).toContain("The server's last output");
  }, 180_000);
});
