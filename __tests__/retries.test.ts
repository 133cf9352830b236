// Transient failures are classified, retried with backoff within a budget, counted in the error
// rate and shown — never in latency; other failures are not retried.
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';
import { runCliAgainst } from './helpers/runs.js';
import { stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

const runAgainst = (programme: Record<string, unknown>, flags: string[] = []) =>
  runCliAgainst(programme, ['--warm-runs', '4', ...flags]);

describe('transient failures', () => {
  it('retries HTTP 503s, counts every failed attempt in the error rate, keeps them out of latency and quality', async () => {
    const { report, samples, summary } = await runAgainst({ failures: { errorRate: 0.15, errorStatus: 503 }, seed: 7 });
    const target = report.targets[0]!;
    const retried = samples.filter((sample) => sample.retried);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((sample) => sample.errorClass === 'http-503' && sample.errorMessage !== null)).toBe(true);
    expect(target.retries).toMatchObject({
      retried: retried.length,
      byClass: { 'http-503': retried.length },
      budget: 4,
      exhausted: expect.any(Boolean),
    });
    // Each planned call ends in exactly one final sample; the retries come on top.
    expect(samples.filter((sample) => !sample.retried)).toHaveLength(target.plannedCalls);
    expect(target.completedCalls).toBe(target.plannedCalls);
    const metrics = target.measurement!.metrics;
    const warmAttempts = samples.filter((sample) => sample.phase === 'warm');
    expect(metrics.errorRatePct).toEqual({
      value:
        Math.round((warmAttempts.filter((sample) => sample.errorClass).length / warmAttempts.length) * 10000) / 100,
      n: warmAttempts.length,
      count: warmAttempts.filter((sample) => sample.errorClass).length,
    });
    // Latency rests only on answered calls.
    expect(metrics.warmLatencyP50Ms.n).toBe(
      samples.filter((sample) => sample.phase === 'warm' && sample.errorClass === null).length,
    );
    expect(summary).toMatch(/Retried: \d+ transient failures? \(http-503 ×\d+\), each counted in the error rate/);
  });

  it('keeps samples.jsonl in call order although answers are recorded once the next request is out and failures at once', async () => {
    const { samples } = await runAgainst({ failures: { errorRate: 0.15, errorStatus: 503 }, seed: 7 });
    const scenarios = loadBuiltinSmokeSuite('safety-checks').scenarios.map((scenario) => scenario.id);
    const planned = [`${scenarios[0]}#0`, ...[1, 2, 3, 4].flatMap((run) => scenarios.map((id) => `${id}#${run}`))];
    expect(samples.filter((sample) => !sample.retried).map((sample) => `${sample.scenario}#${sample.run}`)).toEqual(
      planned,
    );
    // A retried attempt is followed by the next attempt of the same call.
    samples.forEach((sample, index) => {
      if (sample.retried)
        expect(samples[index + 1]).toMatchObject({
          scenario: sample.scenario,
          run: sample.run,
          attempt: sample.attempt + 1,
        });
    });
    expect(samples.some((sample) => sample.retried)).toBe(true);
  });

  it('classifies a stream cut short without a finish_reason and a socket destroyed mid-answer, and retries both', async () => {
    const { samples, report } = await runAgainst({ failures: { truncateRate: 0.1, resetRate: 0.1 }, seed: 3 }, [
      '--retries',
      '3',
    ]);
    const classes = new Set(samples.filter((sample) => sample.retried).map((sample) => sample.errorClass));
    expect(classes).toEqual(new Set(['truncated-stream', 'connection-reset']));
    const truncated = samples.find((sample) => sample.errorClass === 'truncated-stream')!;
    expect(truncated.errorMessage).toMatch(/^the stream ended without a finish_reason after \d+ content chunks$/);
    // A call whose failure was not retried is one the budget no longer covered.
    const finalFailures = samples.filter((sample) => !sample.retried && sample.errorClass !== null);
    expect(finalFailures.length === 0 || report.targets[0]!.retries!.exhausted).toBe(true);
  });

  it('classifies a malformed stream event as an invalid response, and does not retry it', async () => {
    const { samples } = await runAgainst({ failures: { malformedRate: 0.3 }, seed: 11 }, ['--warm-runs', '2']);
    const malformed = samples.filter((sample) => sample.errorClass === 'invalid-response');
    expect(malformed.length).toBeGreaterThan(0);
    expect(malformed.every((sample) => !sample.retried && sample.errorMessage !== null)).toBe(true);
  });

  it('does not retry what is not transient: a 400, or a timeout', async () => {
    const bad = await runAgainst({ failures: { errorRate: 0.3, errorStatus: 400 }, seed: 5 });
    expect(bad.samples.some((sample) => sample.retried)).toBe(false);
    expect(bad.samples.some((sample) => sample.errorClass === 'http-400')).toBe(true);
    expect(bad.report.targets[0]!.retries).toMatchObject({ retried: 0 });
    const slow = await runAgainst({ failures: { hangRate: 1 } }, ['--timeout', '0.3', '--warm-runs', '1']);
    expect(slow.samples.every((sample) => sample.errorClass === 'timeout' && !sample.retried)).toBe(true);
  });

  it('stops retrying when the budget is spent, and says so', async () => {
    const { report, samples, summary } = await runAgainst({ failures: { errorRate: 1, errorStatus: 502 } }, [
      '--warm-runs',
      '1',
    ]);
    // 10 planned calls: a budget of 3 retries, then every failure stands.
    expect(report.targets[0]!.retries).toEqual({ retried: 3, byClass: { 'http-502': 3 }, budget: 3, exhausted: true });
    expect(samples).toHaveLength(13);
    expect(summary).toContain("the run's budget of 3 retries ran out, later failures stand");
  });

  it('with retries 0, a failure is final', async () => {
    const { samples, report } = await runAgainst({ failures: { errorRate: 0.3, errorStatus: 503 }, seed: 5 }, [
      '--retries',
      '0',
    ]);
    expect(samples.some((sample) => sample.retried)).toBe(false);
    expect(report.targets[0]!.retries).toEqual({ retried: 0, byClass: {}, budget: 0, exhausted: false });
  });
});
