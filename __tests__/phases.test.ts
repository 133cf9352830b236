// Latency at a fixed, recorded concurrency; quality runs at full concurrency. The server's own
// count of requests in flight shows which ran how.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plannedCalls, SPLIT_TIMED_CALLS } from '../src/run/runner.js';
import { sampleSchema } from '../src/run/sample.js';
import type { Suite } from '../src/suite/schema.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';

afterAll(stopAllServers);

describe('latency and quality phases', () => {
  it('times the first latency-runs runs one at a time, then adds quality runs at full concurrency', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 30, perTokenMs: 1 } }));
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-phases-'));
    const result = await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--report-dir',
      dir,
      '--warm-runs',
      '5',
      '--concurrency',
      '8',
      '--latency-runs',
      '2',
    ]);
    expect(result.code).toBe(0);
    const report = readReport(dir);
    const samples = readFileSync(join(dir, 'samples.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => sampleSchema.parse(JSON.parse(line)));
    const warm = samples.filter((sample) => sample.phase === 'warm');
    expect(warm.filter((sample) => sample.timed).map((sample) => sample.run)).toEqual(
      [...Array<number>(9).fill(1), ...Array<number>(9).fill(2)].sort(),
    );
    expect(warm.filter((sample) => !sample.timed).every((sample) => sample.run >= 3)).toBe(true);

    // The server saw the cold call and the 18 timed calls alone, then up to 8 at once.
    const { inFlightAtArrival } = await server.stats();
    expect(inFlightAtArrival.slice(0, 19)).toEqual(Array(19).fill(1));
    expect(Math.max(...inFlightAtArrival.slice(19))).toBe(8);

    const metrics = report.targets[0]!.measurement!.metrics;
    expect(metrics.warmLatencyP50Ms.n).toBe(18);
    expect(metrics.ttftP50Ms.n).toBe(18);
    expect(metrics.detectionRatePct.n).toBe(25);
    expect(report.settings).toMatchObject({ concurrency: 8, latencyConcurrency: 1, latencyRuns: 2 });
    // The header says whether latency includes queueing.
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain(
      '· concurrency 8, latency timed with one call in flight ·',
    );
  });

  it('a suite that runs once times its first 60 calls and runs the rest fast', () => {
    const suite = { scenarios: Array.from({ length: 240 }, (_, index) => ({ id: `s${index}` })) } as unknown as Suite;
    const settings = { warmRuns: 1, concurrency: 8, latencyConcurrency: 1, latencyRuns: 3 };
    const warm = plannedCalls(suite, settings).filter((call) => call.phase === 'warm');
    expect(warm).toHaveLength(240);
    expect(warm.filter((call) => call.timed)).toHaveLength(SPLIT_TIMED_CALLS);
    expect(warm.slice(0, SPLIT_TIMED_CALLS).every((call) => call.timed)).toBe(true);
    // At one concurrency there is nothing to split: every call is timed.
    const alone = plannedCalls(suite, { ...settings, concurrency: 1 }).filter((call) => call.phase === 'warm');
    expect(alone.every((call) => call.timed)).toBe(true);
    // A small suite repeated keeps the runs rule: the first latency-runs runs are timed.
    const small = { scenarios: suite.scenarios.slice(0, 9) } as Suite;
    const repeated = plannedCalls(small, { ...settings, warmRuns: 5, latencyRuns: 2 }).filter(
      (call) => call.phase === 'warm',
    );
    expect(repeated.filter((call) => call.timed).map((call) => call.run)).toEqual([
      ...Array<number>(9).fill(1),
      ...Array<number>(9).fill(2),
    ]);
  });

  it('with concurrency at the latency concurrency, every run is timed', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 30 } }));
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-phases-'));
    await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--report-dir',
      dir,
      '--warm-runs',
      '4',
      '--concurrency',
      '2',
      '--latency-concurrency',
      '2',
    ]);
    const samples = readFileSync(join(dir, 'samples.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => sampleSchema.parse(JSON.parse(line)));
    expect(samples.every((sample) => sample.timed)).toBe(true);
    expect(Math.max(...(await server.stats()).inFlightAtArrival)).toBe(2);
  });
});
