// Endpoint kind `openai`: any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, TGI, SGLang,
// Ollama's /v1) through the openai package, streaming so that time to first token is measured.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { RunSettings, Target } from '../config/schema.js';
import type { CallOutcome, ChatRequest, Endpoint, ErrorClass, PreflightResult, ServerTimings } from './types.js';
import { isServedModel, keyDiagnosis, networkDiagnosis, shortMessage, socketErrorClass } from './diagnose.js';
import {
  answerCharLimit,
  callDeadline,
  failedCall,
  oversizedMessage,
  REQUEST_ID_HEADER,
  requestSending,
  StreamClock,
  trackRequest,
} from './stream-timing.js';
import { boundedFetch, MAX_ERROR_BODY_BYTES } from '../lib/bounded-fetch.js';
import { displayUrl } from '../lib/url.js';
import type { ToolCall } from '../suite/schema.js';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { round } from '../lib/round.js';

const PREFLIGHT_TIMEOUT_CAP_MS = 20_000;
const NO_KEY_PLACEHOLDER = 'no-key-given';

export function classifyError(error: unknown, flags: { timedOut: boolean; cancelled: boolean }): ErrorClass {
  if (flags.cancelled) return 'cancelled';
  if (flags.timedOut || error instanceof APIConnectionTimeoutError) return 'timeout';
  if (error instanceof APIUserAbortError) return 'cancelled';
  if (error instanceof APIError && typeof error.status === 'number') return `http-${error.status}`;
  const socket = socketErrorClass(error);
  if (socket) return socket;
  if (error instanceof APIConnectionError) return 'connection';
  return 'invalid-response';
}

const finiteOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? round(value) : null);

/** llama.cpp server's `timings` object (final stream chunk): prompt_n, prompt_ms, predicted_n, predicted_ms. */
export function llamaCppTimings(timings: unknown): ServerTimings | null {
  if (typeof timings !== 'object' || timings === null) return null;
  const value = timings as Record<string, unknown>;
  return {
    source: 'llama.cpp',
    loadMs: null,
    promptMs: finiteOrNull(value.prompt_ms),
    promptTokens: finiteOrNull(value.prompt_n),
    decodeMs: finiteOrNull(value.predicted_ms),
    outputTokens: finiteOrNull(value.predicted_n),
  };
}

// The client library calls fetch once it has built the request; timed from there (and from its
// headers going out, see stream-timing.ts), its own serialization is not the server's latency.
/** How long past a call's timeout its fetch may still run before it is cut. */
const FETCH_GRACE_MS = 1000;

const timedFetch: typeof fetch = (input, init) => {
  // The client library hands over a Headers object; anything else carries no id of ours.
  if (init?.headers instanceof Headers) requestSending(init.headers.get(REQUEST_ID_HEADER));
  return fetch(input, init);
};

function responseFormat(target: Target, outputSchema: Record<string, unknown>) {
  if (target.jsonMode === 'json_object') return { response_format: { type: 'json_object' as const } };
  if (target.jsonMode === 'json_schema') {
    return {
      response_format: {
        type: 'json_schema' as const,
        json_schema: { name: 'answer', schema: outputSchema, strict: false },
      },
    };
  }
  return {};
}

/** The body of a streamed chat completion for one call. */
function completionParams(
  target: Target,
  settings: RunSettings,
  request: ChatRequest,
): ChatCompletionCreateParamsStreaming {
  return {
    model: target.model,
    messages: [
      ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
      {
        role: 'user',
        content: request.imageDataUrl
          ? [
              { type: 'text', text: request.prompt },
              { type: 'image_url', image_url: { url: request.imageDataUrl } },
            ]
          : request.prompt,
      },
    ],
    temperature: settings.temperature,
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the field every self-hosted server accepts
    max_tokens: settings.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    // With tools, the answer is a tool call: a JSON response format would forbid it on most servers.
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => ({
            type: 'function' as const,
            function: { name: tool.name, description: tool.description, parameters: tool.parameters },
          })),
          tool_choice: 'auto' as const,
        }
      : responseFormat(target, request.outputSchema)),
  };
}

/** More tool calls in one answer than any scenario asks for; the rest are dropped. */
const MAX_TOOL_CALLS = 16;

/** What a call's stream held so far: text, tool calls, finish reason, the server's counts and timings. */
class CompletionStream {
  private readonly parts: string[] = [];
  // Keyed by the server's index, which is untrusted: a sparse array at index 4294967294 is billions long.
  private readonly toolCalls = new Map<number, ToolCall>();
  /** Characters of answer received: text, tool-call names and arguments. */
  received = 0;
  finishReason: string | null = null;
  serverTimings: ServerTimings | null = null;
  private usageTokens: number | null = null;
  private inputTokens: number | null = null;

  constructor(private readonly clock: StreamClock) {}

  get text(): string {
    return this.parts.join('');
  }

  read(chunk: ChatCompletionChunk): void {
    // The server's chunks are untrusted: fields the types promise may be missing.
    /* eslint-disable @typescript-eslint/no-unnecessary-condition */
    const choice = chunk.choices?.[0];
    if (choice) this.clock.event();
    const content = choice?.delta?.content;
    if (content) {
      this.clock.content();
      this.parts.push(content);
      this.received += content.length;
    }
    // Tool calls stream as pieces keyed by index: the name first, then the arguments' text.
    for (const piece of choice?.delta?.tool_calls ?? []) {
      /* eslint-enable @typescript-eslint/no-unnecessary-condition */
      this.clock.content();
      const index = Number.isSafeInteger(piece.index) ? piece.index : 0;
      let call = this.toolCalls.get(index);
      if (!call) {
        if (this.toolCalls.size >= MAX_TOOL_CALLS) continue;
        call = { name: '', arguments: '' };
        this.toolCalls.set(index, call);
      }
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      this.received += (piece.function?.name?.length ?? 0) + (piece.function?.arguments?.length ?? 0);
    }
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (chunk.usage && typeof chunk.usage.completion_tokens === 'number')
      this.usageTokens = chunk.usage.completion_tokens;
    if (chunk.usage && typeof chunk.usage.prompt_tokens === 'number') this.inputTokens = chunk.usage.prompt_tokens;
    const timings = (chunk as { timings?: unknown }).timings;
    if (timings) this.serverTimings = llamaCppTimings(timings);
  }

  outcome(): CallOutcome {
    const { clock } = this;
    // usage, or llama.cpp's own count where a server sends timings without usage.
    const serverTokens = this.usageTokens ?? this.serverTimings?.outputTokens ?? null;
    return {
      text: this.text,
      latencyMs: clock.elapsedMs(),
      ttftMs: clock.ttftMs,
      decodeStartMs: clock.decodeStartMs,
      outputTokens: serverTokens ?? (clock.chunks > 0 ? clock.chunks : null),
      inputTokens: this.inputTokens,
      toolCalls: this.toolCalls.size > 0 ? [...this.toolCalls].sort(([a], [b]) => a - b).map(([, call]) => call) : null,
      outputTokensSource: serverTokens !== null ? 'server' : clock.chunks > 0 ? 'chunks' : null,
      finishReason: this.finishReason,
      ...clock.interToken(),
      serverTimings: this.serverTimings,
      errorClass: null,
      errorMessage: null,
    };
  }
}

export function openaiEndpoint(target: Target, settings: RunSettings): Endpoint {
  const client = new OpenAI({
    baseURL: target.baseUrl,
    apiKey: target.apiKey ?? NO_KEY_PLACEHOLDER,
    maxRetries: 0,
    timeout: settings.timeoutMs,
    // The call's own timeout ends it first; the fetch's deadline is the backstop for the body read.
    fetch: boundedFetch({ timeoutMs: settings.timeoutMs + FETCH_GRACE_MS, fetch: timedFetch }),
  });

  async function call(request: ChatRequest): Promise<CallOutcome> {
    const deadline = callDeadline(settings.timeoutMs, request.signal);
    const clock = new StreamClock();
    const tracked = trackRequest(clock, request.requestId);
    const charLimit = answerCharLimit(settings.maxTokens);
    const answer = new CompletionStream(clock);
    try {
      const stream = await client.chat.completions.create(completionParams(target, settings, request), {
        signal: deadline.signal,
        maxRetries: 0,
        timeout: settings.timeoutMs,
        headers: { [REQUEST_ID_HEADER]: tracked.requestId },
      });
      for await (const chunk of stream) {
        answer.read(chunk);
        // Leaving the loop ends the response: the rest of an endless answer is never read.
        if (answer.received > charLimit) break;
      }
      const { serverTimings } = answer;
      if (answer.received > charLimit)
        return failedCall(
          clock,
          answer.text.slice(0, 1000),
          'oversized-response',
          oversizedMessage(charLimit, settings.maxTokens),
          { serverTimings },
        );
      // An aborted stream can end quietly instead of throwing: that is our deadline or a cancellation.
      const stopped = deadline.stopped();
      if (stopped) return failedCall(clock, answer.text, stopped.errorClass, stopped.message, { serverTimings });
      if (answer.finishReason === null) {
        // Every OpenAI-compatible server ends a stream with a finish_reason; without one the
        // answer was cut short (a proxy or a crashing worker ending the response early).
        return failedCall(
          clock,
          answer.text,
          'truncated-stream',
          `the stream ended without a finish_reason after ${clock.chunks} content chunks`,
          { serverTimings },
        );
      }
      return answer.outcome();
    } catch (error) {
      const errorClass = classifyError(error, { timedOut: deadline.timedOut(), cancelled: request.signal.aborted });
      return failedCall(
        clock,
        answer.text,
        errorClass,
        errorClass === 'timeout' ? deadline.timeoutMessage : shortMessage(error),
        { finishReason: answer.finishReason, serverTimings: answer.serverTimings },
      );
    } finally {
      deadline.dispose();
      tracked.release();
    }
  }

  return {
    preflight: (signal, notify) =>
      preflightOpenAI(
        target,
        Math.min(settings.timeoutMs, PREFLIGHT_TIMEOUT_CAP_MS),
        signal,
        settings.readyTimeoutMs,
        notify,
      ),
    call,
    readinessUrl: `${target.baseUrl}/models`,
  };
}

async function listModels(
  baseUrl: string,
  apiKey: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<unknown> {
  const client = new OpenAI({
    baseURL: baseUrl,
    apiKey: apiKey ?? NO_KEY_PLACEHOLDER,
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: boundedFetch({ timeoutMs }),
  });
  const page = await client.models.list({ signal, timeout: timeoutMs, maxRetries: 0 });
  return (page as unknown as { data?: unknown }).data;
}

/**
 * GET {base}/models before any scenario, and one sentence for each way a configuration goes
 * wrong: the failures that otherwise cost a whole bench (a 404 for a missing /v1, a 401 from a
 * server started with --api-key, a model name the server does not serve).
 */
/** How often the preflight asks again while the server loads its model, and says so in the log. */
const LOADING_POLL_MS = 1000;
const LOADING_NOTICE_MS = 10_000;

export async function preflightOpenAI(
  target: Target,
  timeoutMs: number,
  signal: AbortSignal,
  readyTimeoutMs = 0,
  notify: (message: string) => void = () => undefined,
): Promise<PreflightResult> {
  const started = performance.now();
  let nextNotice = 0;
  // The version probes go out with the model listing rather than after it; a failed check drops them.
  const probes = new AbortController();
  let version = serverVersion(target, AbortSignal.any([signal, probes.signal]));
  let result = await checkModels(target, timeoutMs, signal);
  let waited = false;
  while (result.loading && !signal.aborted) {
    const waitedMs = performance.now() - started;
    const left = readyTimeoutMs - waitedMs;
    if (left <= 0) break;
    if (waitedMs >= nextNotice) {
      notify(
        `Target "${target.name}": the server is still loading its model (HTTP 503); waited ${Math.round(waitedMs / 1000)} s of ${readyTimeoutMs / 1000} s (ready-timeout).`,
      );
      nextNotice += LOADING_NOTICE_MS;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(LOADING_POLL_MS, left)));
    waited = true;
    result = await checkModels(target, timeoutMs, signal);
  }
  const waitedMs = Math.round(performance.now() - started);
  if (result.loading) {
    probes.abort();
    return {
      ok: false,
      servedModels: [],
      serverVersion: null,
      diagnosis: `${result.diagnosis ?? ''} ${readyTimeoutMs > 0 ? `It still was after ${(waitedMs / 1000).toFixed(0)} s: raise ready-timeout if it loads slowly, or check its log.` : 'ready-timeout is 0, so model-gate did not wait: raise it.'}`,
    };
  }
  if (!result.ok) {
    probes.abort();
    return result;
  }
  // A server that was loading answered no probe: ask again now that it is up.
  if (waited) version = serverVersion(target, signal);
  return { ...result, serverVersion: await version, ...(waited ? { loadingWaitMs: waitedMs } : {}) };
}

async function checkModels(
  target: Target,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<PreflightResult & { loading?: true }> {
  const base = displayUrl(target.baseUrl);
  const modelsUrl = `${base}/models`;
  const { host, port } = (() => {
    const url = new URL(target.baseUrl);
    return { host: url.hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
  })();
  const who = `Target "${target.name}"`;
  const fail = (diagnosis: string): PreflightResult => ({
    ok: false,
    diagnosis,
    servedModels: [],
    serverVersion: null,
  });

  let data: unknown;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    data = await listModels(
      target.baseUrl,
      target.apiKey,
      timeoutMs + 1000,
      AbortSignal.any([signal, deadline.signal]),
    );
  } catch (error) {
    if (signal.aborted) return fail(`${who}: the run was cancelled during the preflight check.`);
    if (deadline.signal.aborted || error instanceof APIConnectionTimeoutError) {
      return fail(
        `${who}: no answer from GET ${modelsUrl} within ${timeoutMs / 1000} s. The server may still be loading a model; raise timeout, or check that base-url points at it.`,
      );
    }
    if (error instanceof APIError && typeof error.status === 'number') {
      if (error.status === 401 || error.status === 403)
        return fail(keyDiagnosis(target, error.status, `GET ${modelsUrl}`));
      if (error.status === 404)
        return fail(
          `${who}: GET ${modelsUrl} answered HTTP 404, so there is no OpenAI-compatible API at base-url ${base}. ${await missingV1Hint(target, timeoutMs, signal)}`,
        );
      // vLLM and llama.cpp answer 503 while they load the model: wait, do not fail (preflightOpenAI).
      if (error.status === 503)
        return {
          ...fail(
            `${who}: GET ${modelsUrl} answered HTTP 503 (${shortMessage(error).replace(/\.+$/, '')}): the server is still loading its model.`,
          ),
          loading: true,
        };
      return fail(
        `${who}: GET ${modelsUrl} answered HTTP ${error.status}. The server is up but failing; check its log.`,
      );
    }
    const network = networkDiagnosis(error, { who, host, port, url: modelsUrl });
    if (network) return fail(network);
    return fail(`${who}: GET ${modelsUrl} failed: ${shortMessage(error).replace(/\.+$/, '')}. Check base-url.`);
  } finally {
    clearTimeout(timer);
  }

  if (!Array.isArray(data)) {
    return fail(
      `${who}: GET ${modelsUrl} answered, but not with an OpenAI model list (JSON with a "data" array). Check that base-url points at the OpenAI-compatible API, which usually ends in /v1.`,
    );
  }
  const servedModels = data
    .map((entry) => (entry && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined))
    .filter((id): id is string => typeof id === 'string');
  if (!isServedModel(target.model, servedModels)) {
    const served =
      servedModels.length > 0
        ? `It serves: ${servedModels.slice(0, 20).join(', ')}${servedModels.length > 20 ? ', …' : ''}.`
        : 'It lists no models.';
    return {
      ok: false,
      diagnosis: `${who}: the server at ${base} does not serve model "${target.model}". ${served} Set model to one of these, or name the model on the server (vLLM: --served-model-name; llama.cpp: --alias, without which the id is the -m path; Ollama: ollama pull it first).`,
      servedModels,
      serverVersion: null,
    };
  }
  return { ok: true, diagnosis: null, servedModels, serverVersion: null };
}

const VERSION_PROBES: { path: string; field: string }[] = [
  { path: '/version', field: 'version' }, // vLLM, SGLang
  { path: '/api/version', field: 'version' }, // Ollama
  { path: '/info', field: 'version' }, // TGI
  { path: '/props', field: 'build_info' }, // llama.cpp server
];

/** Best effort: the first (in probe order) of the known version endpoints at the server's root that answers; asked all at once. */
async function serverVersion(target: Target, signal: AbortSignal): Promise<string | null> {
  const root = target.baseUrl.replace(/\/v1$/, '');
  const answers = await Promise.all(
    VERSION_PROBES.map(async (probe) => {
      try {
        const response = await boundedFetch({ timeoutMs: 2000, maxBytes: MAX_ERROR_BODY_BYTES })(
          `${root}${probe.path}`,
          {
            headers: target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {},
            signal,
          },
        );
        if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) {
          await response.body?.cancel();
          return null;
        }
        const value = ((await response.json()) as Record<string, unknown>)[probe.field];
        return typeof value === 'string' && value.length > 0 && value.length < 100 ? value : null;
      } catch {
        return null; // Not this kind of server.
      }
    }),
  );
  return answers.find((answer) => answer !== null) ?? null;
}

async function missingV1Hint(target: Target, timeoutMs: number, signal: AbortSignal): Promise<string> {
  // A full endpoint path pasted from a curl example: the base URL is what comes before it.
  const endpoint = /^(.*?)\/(?:chat\/)?completions\/?$/.exec(target.baseUrl);
  if (endpoint?.[1])
    return `base-url is the API's root, not an endpoint: set it to ${displayUrl(endpoint[1])} (model-gate adds /chat/completions itself).`;
  if (/\/v1$/.test(target.baseUrl)) return 'Check the path in base-url and that this port is the model server.';
  const withV1 = `${target.baseUrl}/v1`;
  try {
    const data = await listModels(withV1, target.apiKey, timeoutMs, signal);
    if (Array.isArray(data)) return `${displayUrl(withV1)}/models answers: set base-url to ${displayUrl(withV1)}.`;
  } catch {
    // The hint is only a guess; the 404 diagnosis stands without it.
  }
  return 'Did base-url miss "/v1"?';
}
