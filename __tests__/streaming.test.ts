// What a streamed answer is measured by: time to first token, inter-token latency and the
// server's own timings, against the test server's injected delays over loopback.
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';
import { openaiEndpoint } from '../src/endpoint/openai.js';
import { newRequestId } from '../src/endpoint/stream-timing.js';
import type { RunSettings, Target } from '../src/config/schema.js';
import { suiteProgramme } from '../test-servers/programmes.mjs';
import { startOpenAIServer, stopAllServers } from './helpers/servers.js';

afterAll(stopAllServers);

const suite = loadBuiltinSmokeSuite('safety-checks');
const settings: RunSettings = {
  warmRuns: 1,
  concurrency: 1,
  timeoutMs: 10_000,
  readyTimeoutMs: 0,
  temperature: 0,
  maxTokens: 512,
  retries: 0,
  latencyConcurrency: 1,
  latencyRuns: 3,
};
const targetAt = (url: string): Target => ({
  name: 't',
  kind: 'openai',
  baseUrl: `${url}/v1`,
  model: 'test-model',
  jsonMode: 'json_object',
  toolMode: 'native',
});
const request = () => ({
  prompt: suite.prompt,
  imageDataUrl: `data:image/png;base64,${suite.scenarios[0]!.image!.bytes.toString('base64')}`,
  outputSchema: suite.output.schema,
  signal: new AbortController().signal,
  requestId: newRequestId(),
});

describe('streaming measurement (openai kind)', () => {
  it('measures TTFT and the gaps between tokens that the server injected', async () => {
    const server = await startOpenAIServer(suiteProgramme({ latency: { ttftMs: 60, perTokenMs: 15 } }));
    const outcome = await openaiEndpoint(targetAt(server.url), settings).call(request());
    expect(outcome.errorClass).toBeNull();
    expect(outcome.ttftMs!).toBeGreaterThanOrEqual(59);
    expect(outcome.ttftMs!).toBeLessThan(200);
    expect(outcome.interTokenMeanMs!).toBeGreaterThanOrEqual(14);
    expect(outcome.interTokenMeanMs!).toBeLessThan(40);
    expect(outcome.interTokenP95Ms!).toBeGreaterThanOrEqual(outcome.interTokenMeanMs! - 1);
    expect(outcome.outputTokensSource).toBe('server');
    expect(outcome.serverTimings).toBeNull();
    // The call's X-Request-Id reached the server (vLLM logs it), and the same id is in the sample.
    expect((await server.stats()).lastChat?.requestId).toMatch(/^model-gate-[0-9a-f]{8}-\d+$/);
  });

  it("captures llama.cpp's timings from the final chunk next to the client's figures", async () => {
    const server = await startOpenAIServer(suiteProgramme({ timings: true, latency: { ttftMs: 40, perTokenMs: 5 } }));
    const outcome = await openaiEndpoint(targetAt(server.url), settings).call(request());
    expect(outcome.serverTimings).toMatchObject({
      source: 'llama.cpp',
      loadMs: null,
      promptTokens: 1000,
      outputTokens: outcome.outputTokens,
    });
    expect(outcome.serverTimings!.promptMs!).toBeGreaterThanOrEqual(39);
    expect(outcome.serverTimings!.decodeMs!).toBeGreaterThan(0);
  });

  it('counts tokens from chunks, and says so, when the server reports no usage', async () => {
    const server = await startOpenAIServer(suiteProgramme({ usage: false }));
    const outcome = await openaiEndpoint(targetAt(server.url), settings).call(request());
    expect(outcome.outputTokensSource).toBe('chunks');
    expect(outcome.outputTokens).toBeGreaterThan(1);
  });
});
