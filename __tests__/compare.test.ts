// A versus B in one run, end to end over loopback: a self-hosted model (a test server that gets
// most slides right, slowly) compared with a hosted reference (another server, always right, fast),
// interleaved on the same scenarios, with answer similarity from an embeddings endpoint and the
// break-even volume from their prices.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleSchema } from '../src/run/sample.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';

afterAll(stopAllServers);

describe('A versus B (compare-to)', () => {
  it('runs two targets interleaved on the same scenarios and reports agreement, paired differences, similarity and break-even', async () => {
    const selfHosted = await startOpenAIServer(
      suiteProgramme(
        { models: ['qwen2-vl'], quality: { hitRate: 0.5 }, latency: { ttftMs: 60, perTokenMs: 0.2 }, seed: 11 },
        'slide-extraction',
      ),
    );
    const hosted = await startOpenAIServer(
      suiteProgramme(
        { models: ['gpt-4o'], quality: { hitRate: 1 }, latency: { ttftMs: 5 }, seed: 12 },
        'slide-extraction',
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-compare-'));
    const config = join(dir, 'model-gate.yml');
    writeFileSync(
      config,
      [
        'suite: slide-extraction',
        'targets:',
        '  - name: qwen2-vl',
        `    base-url: ${selfHosted.url}/v1`,
        '    model: qwen2-vl',
        '    compare-to: gpt-4o',
        '    cost: { gpu-per-hour: 1.5 }',
        '  - name: gpt-4o',
        `    base-url: ${hosted.url}/v1`,
        '    model: gpt-4o',
        '    api-key-env: FAKE_OPENAI_KEY',
        '    cost: { input-per-million: 2.5, output-per-million: 10 }',
        'compare:',
        `  embeddings: { base-url: ${selfHosted.url}/v1, model: test-embedder }`,
        '',
      ].join('\n'),
    );
    const result = await runCli(['run', '--config', config, '--report-dir', join(dir, 'report'), '--warm-runs', '3'], {
      env: { ...process.env, FAKE_OPENAI_KEY: 'sk-fake-reference-key' },
    });
    expect(result.code).toBe(0);
    const report = readReport(join(dir, 'report'));
    const samples = readFileSync(join(dir, 'report', 'samples.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => sampleSchema.parse(JSON.parse(line)));

    // Interleaved: after both cold calls, warm calls alternate A, B on odd runs and B, A on even ones.
    const warm = samples.filter((sample) => sample.phase === 'warm');
    expect(warm.slice(0, 4).map((sample) => `${sample.target}/${sample.scenario}`)).toEqual([
      'qwen2-vl/capabilities-text',
      'gpt-4o/capabilities-text',
      'qwen2-vl/integration-text',
      'gpt-4o/integration-text',
    ]);
    expect(
      warm
        .filter((sample) => sample.run === 2)
        .slice(0, 2)
        .map((sample) => sample.target),
    ).toEqual(['gpt-4o', 'qwen2-vl']);

    const [comparison] = report.comparisons;
    expect(comparison).toMatchObject({ target: 'qwen2-vl', reference: 'gpt-4o', pairs: 27 });
    expect(comparison!.scenarios.map((entry) => entry.scenario)).toEqual([
      'capabilities-text',
      'integration-text',
      'analytics-text',
      'core-erp-diagram',
      'events-diagram',
      'analytics-diagram',
      'intelligent-enterprise-dense',
      'hybrid-integration-dense',
      'ai-platform-dense',
    ]);
    // The reference is always right: a pair agrees exactly when the self-hosted answer passes too.
    const qwenPasses = warm.filter(
      (sample) => sample.target === 'qwen2-vl' && sample.scores.entityRecall! >= 0.8,
    ).length;
    expect(comparison!.agreementPct).toBe(Math.round((qwenPasses / 27) * 1000) / 10);
    expect(comparison!.scenarios.every((entry) => entry.referencePassPct === 100)).toBe(true);

    const recall = comparison!.metrics.find((metric) => metric.metric === 'entityRecallPct')!;
    expect(recall.reference).toBe(100);
    expect(recall.target).toBeLessThan(100);
    expect(recall.difference).toBeCloseTo(recall.target! - recall.reference!, 0);
    expect(recall.interval![0]).toBeLessThan(recall.difference!);
    expect(recall.interval![1]).toBeGreaterThan(recall.difference!);
    expect(recall.scenarios).toBe(9);
    const latency = comparison!.metrics.find((metric) => metric.metric === 'warmLatencyP50Ms')!;
    expect(latency.unit).toBe('%');
    expect(latency.difference).toBeGreaterThan(100);

    // Identical answers embed to cosine 1; the half answers of a miss to less.
    expect(comparison!.similarity).toMatchObject({ model: 'test-embedder', pairs: 27, error: null });
    expect(comparison!.similarity!.mean).toBeGreaterThan(0.5);
    expect(comparison!.similarity!.mean).toBeLessThan(1);
    expect((await selfHosted.stats()).embeddings).toBeGreaterThan(0);

    // Costs from what was measured: the hosted side per token (1,000 prompt tokens a call from the test server).
    const qwen = report.targets.find((target) => target.name === 'qwen2-vl')!.cost!;
    const gpt = report.targets.find((target) => target.name === 'gpt-4o')!.cost!;
    expect(qwen).toMatchObject({ basis: 'gpu-hours', currency: 'USD', monthlyFixed: 1095 });
    expect(gpt.basis).toBe('tokens');
    const gptSamples = warm.filter((sample) => sample.target === 'gpt-4o');
    const meanOutput = gptSamples.reduce((sum, sample) => sum + sample.outputTokens!, 0) / gptSamples.length;
    expect(gpt.perCall).toBeCloseTo((1000 * 2.5 + meanOutput * 10) / 1e6, 6);
    expect(comparison!.breakEven).toMatchObject({
      selfHosted: 'qwen2-vl',
      scenariosPerMonth: Math.ceil(1095 / gpt.perCall),
    });

    const summary = readFileSync(join(dir, 'report', 'summary.md'), 'utf8');
    expect(summary).toContain('### A versus B: `qwen2-vl` against `gpt-4o`');
    expect(summary).toMatch(
      /\| Entity recall \| [\d.]+ % \| 100\.0 % \| −[\d.]+ pts \| −[\d.]+…[−+][\d.]+ pts \(9 scenarios\) \|/,
    );
    expect(summary).toContain(
      `Break-even: qwen2-vl (1095.00 USD a month) costs less than gpt-4o (${gpt.per1000.toFixed(2)} USD per 1,000 scenarios) above ${comparison!.breakEven!.scenariosPerMonth!.toLocaleString('en-US')} scenarios a month`,
    );
    expect(readFileSync(join(dir, 'report', 'report.json'), 'utf8')).not.toContain('sk-fake-reference-key');
  });

  it('a compare-to naming no target is a config error naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-compare-'));
    const config = join(dir, 'model-gate.yml');
    writeFileSync(config, 'targets:\n  - { name: a, base-url: "http://127.0.0.1:9/v1", model: m, compare-to: b }\n');
    const result = await runCli(['run', '--config', config, '--report-dir', join(dir, 'report')]);
    expect(result.code).toBe(2);
    const report = readReport(join(dir, 'report'));
    expect(report.verdictReason).toBe(
      `${config}: targets.a.compare-to is "b", which is not a target in this config (targets: a).`,
    );
  });
});
