// Each preflight diagnosis, asserted word for word on the real failure over loopback.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Target } from '../src/config/schema.js';
import { preflightOpenAI } from '../src/endpoint/openai.js';
import { runCliAgainst } from './helpers/runs.js';
import { freePort, startOpenAIServer, stopAllServers, type TestServer } from './helpers/servers.js';

const target = (fields: Partial<Target> & Pick<Target, 'baseUrl'>): Target => ({
  name: 'vllm',
  kind: 'openai',
  model: 'qwen2-vl',
  jsonMode: 'json_object',
  toolMode: 'native',
  ...fields,
});
const preflight = (t: Target, timeoutMs = 5000) => preflightOpenAI(t, timeoutMs, new AbortController().signal);

let open: TestServer;
let keyed: TestServer;
let slow: TestServer;
let gateway: TestServer;

beforeAll(async () => {
  [open, keyed, slow, gateway] = await Promise.all([
    startOpenAIServer({ models: ['qwen2-vl', 'llava:latest'], serverVersion: '0.9.2' }),
    startOpenAIServer({ models: ['qwen2-vl'], apiKey: 'sk-right-key' }),
    startOpenAIServer({ models: ['qwen2-vl'], latency: { modelsDelayMs: 3000 } }),
    startOpenAIServer({ models: ['qwen2-vl'], apiKey: 'sk-admin-key', authStatus: 403 }),
  ]);
});
afterAll(stopAllServers);

describe('preflight', () => {
  it('passes when the model is served, and lists what is served', async () => {
    const result = await preflight(target({ baseUrl: `${open.url}/v1` }));
    expect(result).toEqual({
      ok: true,
      diagnosis: null,
      servedModels: ['qwen2-vl', 'llava:latest'],
      serverVersion: '0.9.2',
    });
  });

  it('accepts an Ollama model name without its :latest tag', async () => {
    expect((await preflight(target({ baseUrl: `${open.url}/v1`, model: 'llava' }))).ok).toBe(true);
  });

  it('names host and port when nothing is listening', async () => {
    const port = await freePort();
    const result = await preflight(target({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    expect(result.diagnosis).toBe(
      `Target "vllm": nothing is listening at 127.0.0.1:${port} (connection refused on GET http://127.0.0.1:${port}/v1/models). Start the server, or fix the host and port in base-url.`,
    );
  });

  it('says a key is needed when the server was started with one and none was given', async () => {
    const result = await preflight(target({ baseUrl: `${keyed.url}/v1` }));
    expect(result.diagnosis).toBe(
      `Target "vllm": the server requires an API key (HTTP 401 on GET ${keyed.url}/v1/models) and none was given. It was started with an API key (vLLM and llama.cpp: --api-key): put that key in a secret and pass it with api-key or api-key-env.`,
    );
  });

  it('says the key was rejected, naming where it came from but never the key', async () => {
    const result = await preflight(
      target({ baseUrl: `${keyed.url}/v1`, apiKey: 'sk-wrong-key', apiKeySource: 'environment variable VLLM_API_KEY' }),
    );
    expect(result.diagnosis).toBe(
      `Target "vllm": the server rejected the API key from environment variable VLLM_API_KEY (HTTP 401 on GET ${keyed.url}/v1/models). Pass the key the server was started with (vLLM and llama.cpp: --api-key).`,
    );
    expect(result.diagnosis).not.toContain('sk-wrong-key');
    expect(
      await preflight(target({ baseUrl: `${keyed.url}/v1`, apiKey: 'sk-right-key', apiKeySource: 'input "api-key"' })),
    ).toMatchObject({ ok: true, serverVersion: null });
  });

  it('says access was refused (403) for a key without the right permission', async () => {
    const result = await preflight(
      target({ baseUrl: `${gateway.url}/v1`, apiKey: 'sk-read-only', apiKeySource: 'input "api-key"' }),
    );
    expect(result.diagnosis).toBe(
      `Target "vllm": the server refused access (HTTP 403 on GET ${gateway.url}/v1/models) with the API key from input "api-key". Use a key that is allowed to list and call models.`,
    );
  });

  it('spots a base URL that misses /v1 and gives the one that works', async () => {
    const result = await preflight(target({ baseUrl: open.url }));
    expect(result.diagnosis).toBe(
      `Target "vllm": GET ${open.url}/models answered HTTP 404, so there is no OpenAI-compatible API at base-url ${open.url}. ${open.url}/v1/models answers: set base-url to ${open.url}/v1.`,
    );
  });

  it('recognises a full /chat/completions path and gives the base URL before it', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions/']) {
      const result = await preflight(target({ baseUrl: `${open.url}${path}` }));
      expect(result.diagnosis).toBe(
        `Target "vllm": GET ${open.url}${path.replace(/\/$/, '')}/models answered HTTP 404, so there is no OpenAI-compatible API at base-url ${open.url}${path.replace(/\/$/, '')}. base-url is the API's root, not an endpoint: set it to ${open.url}/v1 (model-gate adds /chat/completions itself).`,
      );
    }
  });

  it('says when a path with /v1 still answers 404', async () => {
    const result = await preflight(target({ baseUrl: `${open.url}/api/v1` }));
    expect(result.diagnosis).toBe(
      `Target "vllm": GET ${open.url}/api/v1/models answered HTTP 404, so there is no OpenAI-compatible API at base-url ${open.url}/api/v1. Check the path in base-url and that this port is the model server.`,
    );
  });

  it('lists the served models when the model is not served', async () => {
    const result = await preflight(target({ baseUrl: `${open.url}/v1`, model: 'Qwen/Qwen2-VL-72B-Instruct' }));
    expect(result.ok).toBe(false);
    expect(result.servedModels).toEqual(['qwen2-vl', 'llava:latest']);
    expect(result.diagnosis).toBe(
      `Target "vllm": the server at ${open.url}/v1 does not serve model "Qwen/Qwen2-VL-72B-Instruct". It serves: qwen2-vl, llava:latest. Set model to one of these, or name the model on the server (vLLM: --served-model-name; llama.cpp: --alias, without which the id is the -m path; Ollama: ollama pull it first).`,
    );
  });

  it('times out with the time it waited', async () => {
    const result = await preflight(target({ baseUrl: `${slow.url}/v1` }), 500);
    expect(result.diagnosis).toBe(
      `Target "vllm": no answer from GET ${slow.url}/v1/models within 0.5 s. The server may still be loading a model; raise timeout, or check that base-url points at it.`,
    );
  });

  it('reports a TLS failure when https:// points at a plain-HTTP server', async () => {
    const { port } = new URL(open.url);
    const result = await preflight(target({ baseUrl: `https://127.0.0.1:${port}/v1` }));
    expect(result.diagnosis).toMatch(
      new RegExp(
        `^Target "vllm": the TLS handshake with 127\\.0\\.0\\.1:${port} failed \\((ERR_SSL_[A-Z_]+|EPROTO)\\)\\. Use http:// if the server does not speak TLS, or make the runner trust its certificate \\(NODE_EXTRA_CA_CERTS\\)\\.$`,
      ),
    );
  });

  it('never shows credentials embedded in the base URL', async () => {
    const port = await freePort();
    const result = await preflight(target({ baseUrl: `http://user:hunter2@127.0.0.1:${port}/v1?key=abc` }));
    expect(result.diagnosis).not.toContain('hunter2');
    expect(result.diagnosis).not.toContain('abc');
  });
});

describe('a server still loading its model (HTTP 503), as one started just before the gate is', () => {
  const loadingFor = (server: TestServer, ms: number) =>
    fetch(`${server.url}/__control/restart?downMs=${ms}`, { method: 'POST' });

  it('is waited for, and the log says how long', async () => {
    // Loading until the preflight's model list has been told so twice (its version probes, sent
    // beside it, get 503s too and do not count), however long this machine takes to start it.
    const run = await runCliAgainst({}, ['--warm-runs', '1'], {
      onServer: async (server) => {
        await loadingFor(server, 600_000);
        void (async () => {
          while (((await server.stats()).notReadyByPath['/v1/models'] ?? 0) < 2)
            await new Promise((resolve) => setTimeout(resolve, 50));
          await loadingFor(server, 0);
        })().catch(() => undefined);
      },
    });
    expect(run.report.targets[0]!.preflight).toMatchObject({ ok: true });
    expect(run.report.targets[0]!.preflight.loadingWaitMs).toBeGreaterThanOrEqual(900);
    // Progress while it waits, then how long it took.
    expect(run.result.stderr).toMatch(
      /^Target "test-model": the server is still loading its model \(HTTP 503\); waited 0 s of 300 s \(ready-timeout\)\.$/m,
    );
    expect(run.result.stderr).toMatch(
      /^Preflight test-model: served, after waiting \d+\.\d s while the server loaded its model\.$/m,
    );
    expect(run.report.verdict).toBe('no-baseline');
  });

  it('loading past ready-timeout is named as loading, not as a failing server', async () => {
    const run = await runCliAgainst({}, ['--ready-timeout', '1'], { onServer: (server) => loadingFor(server, 30_000) });
    expect(run.result.code).toBe(2);
    expect(run.report.verdictReason).toMatch(
      /^Target "test-model": GET \S+\/models answered HTTP 503 \(.*Model is loading.*\): the server is still loading its model\. It still was after 1 s: raise ready-timeout if it loads slowly, or check its log\.$/,
    );
  });
});
