// Endpoint kind ollama, end to end through the CLI against a server speaking Ollama's native API:
// the model is unloaded (and seen gone) before the cold call, Ollama's durations are captured.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteAnswers } from '../test-servers/programmes.mjs';
import { runCli } from './helpers/processes.js';
import { startOllamaServer, stopAllServers } from './helpers/servers.js';
import { readReport, readSamples } from './helpers/runs.js';

afterAll(stopAllServers);

async function runOllama(programme: Record<string, unknown>, flags: string[] = [], suite = 'safety-checks') {
  const server = await startOllamaServer({ answers: suiteAnswers(suite), ...programme });
  const dir = mkdtempSync(join(tmpdir(), 'model-gate-ollama-'));
  const result = await runCli([
    'run',
    '--kind',
    'ollama',
    '--base-url',
    server.url,
    '--model',
    'llava:7b',
    '--report-dir',
    dir,
    '--warm-runs',
    '2',
    ...flags,
  ]);
  const report = readReport(dir);
  const samples = readSamples(dir);
  return { server, dir, result, report, samples, summary: readFileSync(join(dir, 'summary.md'), 'utf8') };
}

describe('endpoint kind ollama', () => {
  it('unloads the loaded model and sees it gone before the cold call, then captures load, prompt and decode durations', async () => {
    const { result, report, samples, server, summary } = await runOllama({
      loaded: ['llava:7b'],
      loadMs: 300,
      unloadLagMs: 150,
      latency: { ttftMs: 20, perTokenMs: 2 },
    });
    expect(result.code).toBe(0);
    const { events } = await server.stats();
    // The server saw the unload first, and the first chat found the model not loaded.
    expect(events[0]).toMatchObject({ type: 'unload', model: 'llava:7b' });
    const chats = events.filter((event) => event.type === 'chat');
    expect(chats[0]).toMatchObject({ wasLoaded: false, format: 'json', options: { temperature: 0, num_predict: 512 } });
    expect(chats.slice(1).every((event) => event.wasLoaded)).toBe(true);
    expect(chats[0]!.at).toBeGreaterThanOrEqual(events[0]!.at + 150);
    expect(report.targets[0]!.coldStart).toEqual({
      method: 'unloaded',
      detail: 'unloaded llava:7b and saw /api/ps empty before the cold call',
    });
    expect(summary).toContain('Cold start: measured after unloading the model');
    // Ollama's own figures, next to the client's.
    const serverTimings = report.targets[0]!.serverTimings!;
    expect(serverTimings).toMatchObject({ source: 'ollama', calls: 18 });
    expect(serverTimings.promptMsP50!).toBeGreaterThanOrEqual(19);
    expect(serverTimings.coldLoadMs!).toBeGreaterThanOrEqual(299);
    expect(summary).toMatch(
      /Server-reported \(ollama, 18 calls\): prompt p50 [\d.]+ ms, decode p50 [\d.]+ ms; model load on the cold call [\d.]+ ms\./,
    );

    const cold = samples.find((sample) => sample.phase === 'cold')!;
    expect(cold.serverTimings).toMatchObject({ source: 'ollama', promptTokens: 900 });
    expect(cold.serverTimings!.loadMs!).toBeGreaterThanOrEqual(299);
    expect(cold.latencyMs).toBeGreaterThanOrEqual(cold.serverTimings!.loadMs!);
    const warm = samples.filter((sample) => sample.phase === 'warm');
    expect(warm).toHaveLength(18);
    expect(warm.every((sample) => sample.serverTimings!.loadMs! < 50 && sample.outputTokensSource === 'server')).toBe(
      true,
    );
    expect(warm.every((sample) => sample.interTokenMeanMs !== null && sample.ttftMs! >= 19)).toBe(true);
    // A model that sees every anomaly and raises no false alarm, through Ollama's format: json.
    expect(report.targets[0]!.measurement!.metrics.detectionRatePct.value).toBe(100);
    expect(report.targets[0]!.measurement!.metrics.falsePositiveRatePct.value).toBe(0);
    expect(report.targets[0]!.preflight.serverVersion).toBe('0.9.0');
  });

  it('says which models Ollama has when the configured one is missing', async () => {
    const { result, report } = await runOllama({ models: ['llava:7b', 'qwen2.5vl:3b'] }, [
      '--model',
      'llama3.2-vision',
    ]);
    expect(result.code).not.toBe(0);
    expect(report.targets[0]!.preflight.diagnosis).toBe(
      `Target "llama3.2-vision": Ollama at ${report.targets[0]!.baseUrl} does not have model "llama3.2-vision". It has: llava:7b, qwen2.5vl:3b. Pull it first (ollama pull llama3.2-vision) or set model to one of these.`,
    );
  });

  it('ends an answer still streaming at the timeout as a timeout, the stream cut mid-way', async () => {
    const { report, samples } = await runOllama({ latency: { ttftMs: 20, perTokenMs: 150 } }, [
      '--timeout',
      '0.5',
      '--warm-runs',
      '1',
    ]);
    const warm = samples.filter((sample) => sample.phase === 'warm');
    expect(warm.length).toBeGreaterThan(0);
    for (const sample of warm) {
      expect(sample.errorClass).toBe('timeout');
      // Ended by model-gate's deadline, well before the answer's own end (seconds of tokens).
      expect(sample.latencyMs).toBeGreaterThanOrEqual(450);
      expect(sample.latencyMs).toBeLessThan(10_000);
    }
    expect(report.verdict).toBe('error');
  });

  it('stops with a clear error when the model will not unload, rather than time a warm call as cold', async () => {
    const { result, report } = await runOllama({ ignoreUnload: true }, ['--timeout', '1']);
    expect(result.code).not.toBe(0);
    expect(report.targets[0]!.preflight.diagnosis).toBe(
      'Target "llava-7b": Ollama still lists llava:7b as loaded 1 s after asking to unload; the cold call would not be cold. Check for other clients keeping it loaded.',
    );
    expect(report.targets[0]!.completedCalls).toBe(0);
  });

  it.each([
    ['native', ['send_message', 'volume']],
    ['json', null],
  ])(
    "routes voice commands with tool-mode %s: tools offered through Ollama's chat, or described in the system message",
    async (mode, offered) => {
      const { result, report, server } = await runOllama(
        { latency: { ttftMs: 5, perTokenMs: 0.2 } },
        ['--suite', 'voice-commands', '--tool-mode', mode, '--warm-runs', '1'],
        'voice-commands',
      );
      expect(result.code).toBe(0);
      expect(report.targets[0]!.measurement!.metrics.toolAccuracyPct).toEqual({ value: 100, n: 30, count: 30 });
      expect(report.targets[0]!.measurement!.metrics.argumentMatchPct.value).toBe(100);
      const chat = (await server.stats()).events.filter((event) => event.type === 'chat').at(-1)!;
      if (offered) expect(chat.tools).toEqual(expect.arrayContaining(offered));
      else {
        expect(chat.tools).toBeNull();
        expect(chat.system).toContain('You can call one of these tools:');
      }
    },
  );
});
