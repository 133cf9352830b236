// Endpoint kind `ollama`: Ollama's native API (/api/chat with `images`, `format`, `options`,
// `keep_alive`). Over the OpenAI-compatible /v1 it cannot unload a model or report its own
// durations; here the model is unloaded (keep_alive 0) and seen gone from /api/ps before the
// cold call, and every answer carries Ollama's load, prompt and decode durations.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ToolCall } from '../suite/schema.js';
import type { RunSettings, Target } from '../config/schema.js';
import {
  hostAndPort,
  htmlPageSummary,
  isServedModel,
  networkDiagnosis,
  shortMessage,
  socketErrorClass,
} from './diagnose.js';
import {
  answerCharLimit,
  callDeadline,
  failedCall,
  oversizedMessage,
  REQUEST_ID_HEADER,
  StreamClock,
  trackRequest,
} from './stream-timing.js';
import type {
  CallOutcome,
  ChatRequest,
  ColdStartNote,
  Endpoint,
  ErrorClass,
  PreflightResult,
  ServerTimings,
} from './types.js';
import { boundedFetch } from '../lib/bounded-fetch.js';
import { displayUrl } from '../lib/url.js';
import { round } from '../lib/round.js';
import { z } from 'zod';

const PREFLIGHT_TIMEOUT_CAP_MS = 20_000;
const UNLOAD_TIMEOUT_MS = 30_000;
const UNLOAD_POLL_MS = 100;
const NS_PER_MS = 1e6;

/** The server's root: a base-url given with /v1 or /api still works. */
export const ollamaRoot = (baseUrl: string) => baseUrl.replace(/\/(v1|api)$/, '');

/** A field of the server's that may be missing or of another type: read as absent then. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const finite = lenient(z.number());

/** One line of /api/chat's stream, as far as model-gate reads it. */
const chatChunkSchema = z.object({
  error: lenient(z.string()),
  message: lenient(
    z.object({
      content: lenient(z.string()),
      // Ollama sends each tool call whole, its arguments an object rather than text.
      tool_calls: lenient(z.array(z.unknown())),
    }),
  ),
  done: lenient(z.boolean()),
  done_reason: lenient(z.string()),
  load_duration: finite,
  prompt_eval_duration: finite,
  prompt_eval_count: finite,
  eval_duration: finite,
  eval_count: finite,
});
type ChatChunk = z.infer<typeof chatChunkSchema>;
const toolCallSchema = z.object({ function: z.object({ name: z.string(), arguments: z.unknown() }) });

const durationMs = (value: number | undefined) => (value === undefined ? null : round(value / NS_PER_MS));

export function ollamaTimings(final: ChatChunk): ServerTimings {
  return {
    source: 'ollama',
    loadMs: durationMs(final.load_duration),
    promptMs: durationMs(final.prompt_eval_duration),
    promptTokens: final.prompt_eval_count ?? null,
    decodeMs: durationMs(final.eval_duration),
    outputTokens: final.eval_count ?? null,
  };
}

function headers(target: Target): Record<string, string> {
  // Ollama itself takes no key; a proxy in front of it may.
  return { 'content-type': 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
}

/** No model list or status answer takes longer than this to read. */
const JSON_READ_TIMEOUT_MS = 120_000;

async function getJson(url: string, target: Target, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  // The callers' signals carry their timeouts; this deadline is the backstop.
  const response = await boundedFetch({ timeoutMs: JSON_READ_TIMEOUT_MS })(url, { headers: headers(target), signal });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

function modelNames(body: unknown): string[] {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models
    .map((entry) =>
      entry && typeof entry === 'object'
        ? ((entry as { name?: unknown; model?: unknown }).name ?? (entry as { model?: unknown }).model)
        : undefined,
    )
    .filter((name): name is string => typeof name === 'string');
}

export async function preflightOllama(
  target: Target,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<PreflightResult> {
  const root = ollamaRoot(target.baseUrl);
  const tagsUrl = `${displayUrl(root)}/api/tags`;
  const who = `Target "${target.name}"`;
  const fail = (diagnosis: string): PreflightResult => ({
    ok: false,
    diagnosis,
    servedModels: [],
    serverVersion: null,
  });
  let answer: { status: number; body: unknown };
  try {
    answer = await getJson(`${root}/api/tags`, target, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
  } catch (error) {
    if (signal.aborted) return fail(`${who}: the run was cancelled during the preflight check.`);
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      return fail(
        `${who}: no answer from GET ${tagsUrl} within ${timeoutMs / 1000} s. Check that Ollama is running (ollama serve) and that base-url points at it.`,
      );
    }
    const { host, port } = hostAndPort(root);
    return fail(
      networkDiagnosis(error, { who, host, port, url: tagsUrl }) ??
        `${who}: GET ${tagsUrl} failed: ${shortMessage(error)}. Check base-url.`,
    );
  }
  if (answer.status === 404) {
    return fail(
      `${who}: GET ${tagsUrl} answered HTTP 404, so there is no Ollama API at ${displayUrl(root)}. Give Ollama's address (http://127.0.0.1:11434 by default) as base-url, or use kind openai for another server.`,
    );
  }
  if (answer.status === 401 || answer.status === 403) {
    return fail(
      `${who}: GET ${tagsUrl} answered HTTP ${answer.status}: a proxy in front of Ollama wants credentials${target.apiKey ? ` and refused the key from ${target.apiKeySource}` : ''}. Pass its key with api-key or api-key-env.`,
    );
  }
  if (answer.status !== 200)
    return fail(`${who}: GET ${tagsUrl} answered HTTP ${answer.status}. Ollama is up but failing; check its log.`);
  const servedModels = modelNames(answer.body);
  if (!isServedModel(target.model, servedModels)) {
    const served =
      servedModels.length > 0
        ? `It has: ${servedModels.slice(0, 20).join(', ')}${servedModels.length > 20 ? ', …' : ''}.`
        : 'It has no models.';
    return {
      ok: false,
      diagnosis: `${who}: Ollama at ${displayUrl(root)} does not have model "${target.model}". ${served} Pull it first (ollama pull ${target.model}) or set model to one of these.`,
      servedModels,
      serverVersion: null,
    };
  }
  let serverVersion: string | null = null;
  try {
    const version = await getJson(`${root}/api/version`, target, AbortSignal.any([signal, AbortSignal.timeout(2000)]));
    const value = (version.body as { version?: unknown } | null)?.version;
    if (typeof value === 'string' && value.length < 100) serverVersion = value;
  } catch {
    // Best effort.
  }
  return { ok: true, diagnosis: null, servedModels, serverVersion };
}

function classify(error: unknown, flags: { timedOut: boolean; cancelled: boolean }): ErrorClass {
  if (flags.cancelled) return 'cancelled';
  if (flags.timedOut) return 'timeout';
  const socket = socketErrorClass(error);
  if (socket) return socket;
  if (error instanceof TypeError) return 'connection';
  return 'invalid-response';
}

/** The body of a POST /api/chat for one call. */
function chatBody(target: Target, settings: RunSettings, request: ChatRequest): string {
  const format =
    target.jsonMode === 'json_object'
      ? { format: 'json' }
      : target.jsonMode === 'json_schema'
        ? { format: request.outputSchema }
        : {};
  const image = request.imageDataUrl;
  return JSON.stringify({
    model: target.model,
    messages: [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      { role: 'user', content: request.prompt, ...(image ? { images: [image.slice(image.indexOf(',') + 1)] } : {}) },
    ],
    stream: true,
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => ({
            type: 'function',
            function: { name: tool.name, description: tool.description, parameters: tool.parameters },
          })),
        }
      : format),
    options: { temperature: settings.temperature, num_predict: settings.maxTokens },
    ...(target.keepAlive !== undefined ? { keep_alive: target.keepAlive } : {}),
  });
}

/** A failed HTTP answer, in one line: Ollama's own error message, or a description of an HTML page. */
async function httpFailure(response: Response): Promise<{ errorClass: ErrorClass; message: string }> {
  const text = (await response.text()).slice(0, 300);
  let message = text;
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    message = typeof error === 'string' ? error : text;
  } catch {
    // Not JSON: keep the text.
  }
  return {
    errorClass: `http-${response.status}`,
    message:
      htmlPageSummary(`${response.status} ${text}`) ?? `HTTP ${response.status}: ${message.replace(/\s+/g, ' ')}`,
  };
}

/** What a call's stream held: its text, its tool calls, and the final message (done: true), if it came. */
class ChatStream {
  readonly parts: string[] = [];
  readonly toolCalls: ToolCall[] = [];
  final: ChatChunk | null = null;
  private received = 0;

  constructor(
    private readonly clock: StreamClock,
    private readonly charLimit: number,
  ) {}

  /** Reads one NDJSON line; throws on Ollama's mid-stream error, a line that is not JSON, or too long an answer. */
  read(line: string): void {
    if (!line.trim()) return;
    const parsed = chatChunkSchema.safeParse(JSON.parse(line));
    if (!parsed.success) return;
    const chunk = parsed.data;
    if (chunk.error !== undefined) throw new OllamaStreamError(chunk.error);
    const content = chunk.message?.content;
    if (content) {
      this.clock.content();
      this.parts.push(content);
      this.received += content.length;
      if (this.received > this.charLimit) throw new OversizedAnswer();
    }
    for (const entry of chunk.message?.tool_calls ?? []) {
      const call = toolCallSchema.safeParse(entry);
      if (!call.success) continue;
      this.clock.content();
      const { name, arguments: args } = call.data.function;
      this.toolCalls.push({ name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) });
    }
    if (chunk.done === true) this.final = chunk;
  }

  answer(final: ChatChunk): CallOutcome {
    const clock = this.clock;
    const timings = ollamaTimings(final);
    return {
      text: this.parts.join(''),
      latencyMs: clock.elapsedMs(),
      ttftMs: clock.ttftMs,
      outputTokens: timings.outputTokens ?? (clock.chunks > 0 ? clock.chunks : null),
      inputTokens: timings.promptTokens,
      toolCalls: this.toolCalls.length > 0 ? this.toolCalls : null,
      outputTokensSource: timings.outputTokens !== null ? 'server' : clock.chunks > 0 ? 'chunks' : null,
      finishReason: final.done_reason ?? 'stop',
      ...clock.interToken(),
      serverTimings: timings,
      errorClass: null,
      errorMessage: null,
    };
  }
}

export function ollamaEndpoint(target: Target, settings: RunSettings): Endpoint {
  const root = ollamaRoot(target.baseUrl);

  async function call(request: ChatRequest): Promise<CallOutcome> {
    const deadline = callDeadline(settings.timeoutMs, request.signal);
    const clock = new StreamClock();
    const tracked = trackRequest(clock, request.requestId);
    const charLimit = answerCharLimit(settings.maxTokens);
    const stream = new ChatStream(clock, charLimit);
    const failed = (errorClass: ErrorClass, errorMessage: string): CallOutcome =>
      failedCall(clock, stream.parts.join(''), errorClass, errorMessage);
    try {
      const body = chatBody(target, settings, request);
      clock.sending();
      const response = await boundedFetch({ timeoutMs: settings.timeoutMs + 1000 })(`${root}/api/chat`, {
        method: 'POST',
        headers: { ...headers(target), [REQUEST_ID_HEADER]: tracked.requestId },
        signal: deadline.signal,
        body,
      });
      if (!response.ok || !response.body) {
        const failure = await httpFailure(response);
        return failed(failure.errorClass, failure.message);
      }
      // Newline-delimited JSON: readline splits it, and an aborted body ends the loop with its error.
      for await (const line of createInterface({ input: Readable.fromWeb(response.body), crlfDelay: Infinity }))
        stream.read(line);
      const stopped = deadline.stopped();
      if (stopped) return failed(stopped.errorClass, stopped.message);
      if (!stream.final)
        return failed('truncated-stream', 'the stream ended before Ollama sent its final message (done: true)');
      return stream.answer(stream.final);
    } catch (error) {
      if (error instanceof OversizedAnswer)
        return failedCall(
          clock,
          stream.parts.join('').slice(0, 1000),
          'oversized-response',
          oversizedMessage(charLimit, settings.maxTokens),
        );
      if (error instanceof OllamaStreamError)
        return failed('invalid-response', `Ollama reported an error mid-stream: ${error.message.slice(0, 300)}`);
      if (error instanceof SyntaxError)
        return failed('invalid-response', `a streamed line was not JSON: ${shortMessage(error)}`);
      const errorClass = classify(error, { timedOut: deadline.timedOut(), cancelled: request.signal.aborted });
      return failed(errorClass, errorClass === 'timeout' ? deadline.timeoutMessage : shortMessage(error));
    } finally {
      deadline.dispose();
      tracked.release();
    }
  }

  /** Unloads every loaded model (keep_alive 0), then waits until /api/ps lists none. */
  async function makeCold(signal: AbortSignal): Promise<ColdStartNote> {
    const who = `Target "${target.name}"`;
    const loaded = async () =>
      modelNames((await getJson(`${root}/api/ps`, target, AbortSignal.any([signal, AbortSignal.timeout(5000)]))).body);
    const before = await loaded();
    for (const model of before) {
      const response = await boundedFetch({ timeoutMs: Math.min(settings.timeoutMs, UNLOAD_TIMEOUT_MS) })(
        `${root}/api/generate`,
        {
          method: 'POST',
          headers: headers(target),
          signal,
          body: JSON.stringify({ model, keep_alive: 0 }),
        },
      );
      await response.text();
      if (!response.ok)
        throw new Error(
          `${who}: Ollama refused to unload ${model} (HTTP ${response.status} on POST /api/generate with keep_alive 0).`,
        );
    }
    const unloadTimeoutMs = Math.min(settings.timeoutMs, UNLOAD_TIMEOUT_MS);
    const deadline = Date.now() + unloadTimeoutMs;
    let still = before.length > 0 ? await loaded() : [];
    while (still.length > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `${who}: Ollama still lists ${still.join(', ')} as loaded ${unloadTimeoutMs / 1000} s after asking to unload; the cold call would not be cold. Check for other clients keeping it loaded.`,
        );
      await new Promise((resolve) => setTimeout(resolve, UNLOAD_POLL_MS));
      still = await loaded();
    }
    return {
      method: 'unloaded',
      detail:
        before.length > 0
          ? `unloaded ${before.join(', ')} and saw /api/ps empty before the cold call`
          : 'no model was loaded (/api/ps empty) before the cold call',
    };
  }

  return {
    preflight: (signal) => preflightOllama(target, Math.min(settings.timeoutMs, PREFLIGHT_TIMEOUT_CAP_MS), signal),
    call,
    makeCold,
    readinessUrl: `${root}/api/tags`,
  };
}

class OllamaStreamError extends Error {}
class OversizedAnswer extends Error {}
