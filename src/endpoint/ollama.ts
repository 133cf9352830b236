// Endpoint kind `ollama`: Ollama's native API (/api/chat with `images`, `format`, `options`,
// `keep_alive`). Over the OpenAI-compatible /v1 it cannot unload a model or report its own
// durations; here the model is unloaded (keep_alive 0) and seen gone from /api/ps before the
// cold call, and every answer carries Ollama's load, prompt and decode durations.
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
import { displayUrl } from '../lib/url.js';
import { round } from '../lib/round.js';

const PREFLIGHT_TIMEOUT_CAP_MS = 20_000;
const UNLOAD_TIMEOUT_MS = 30_000;
const UNLOAD_POLL_MS = 100;
const NS_PER_MS = 1e6;

/** The server's root: a base-url given with /v1 or /api still works. */
export const ollamaRoot = (baseUrl: string) => baseUrl.replace(/\/(v1|api)$/, '');

const durationMs = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? round(value / NS_PER_MS) : null;
const countOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export function ollamaTimings(final: Record<string, unknown>): ServerTimings {
  return {
    source: 'ollama',
    loadMs: durationMs(final.load_duration),
    promptMs: durationMs(final.prompt_eval_duration),
    promptTokens: countOrNull(final.prompt_eval_count),
    decodeMs: durationMs(final.eval_duration),
    outputTokens: countOrNull(final.eval_count),
  };
}

function headers(target: Target): Record<string, string> {
  // Ollama itself takes no key; a proxy in front of it may.
  return { 'content-type': 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
}

async function getJson(url: string, target: Target, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers: headers(target), signal });
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

export function ollamaEndpoint(target: Target, settings: RunSettings): Endpoint {
  const root = ollamaRoot(target.baseUrl);

  async function call(request: ChatRequest): Promise<CallOutcome> {
    const deadline = callDeadline(settings.timeoutMs, request.signal);
    const clock = new StreamClock();
    const tracked = trackRequest(clock, request.requestId);
    const parts: string[] = [];
    const toolCalls: ToolCall[] = [];
    const charLimit = answerCharLimit(settings.maxTokens);
    let received = 0;
    let final: Record<string, unknown> | null = null;
    const failed = (errorClass: ErrorClass, errorMessage: string): CallOutcome =>
      failedCall(clock, parts.join(''), errorClass, errorMessage);
    try {
      const format =
        target.jsonMode === 'json_object'
          ? { format: 'json' }
          : target.jsonMode === 'json_schema'
            ? { format: request.outputSchema }
            : {};
      const body = JSON.stringify({
        model: target.model,
        messages: [
          ...(request.system ? [{ role: 'system', content: request.system }] : []),
          {
            role: 'user',
            content: request.prompt,
            ...(request.imageDataUrl
              ? { images: [request.imageDataUrl.slice(request.imageDataUrl.indexOf(',') + 1)] }
              : {}),
          },
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
      clock.sending();
      const response = await fetch(`${root}/api/chat`, {
        method: 'POST',
        headers: { ...headers(target), [REQUEST_ID_HEADER]: tracked.requestId },
        signal: deadline.signal,
        body,
      });
      if (!response.ok || !response.body) {
        const text = (await response.text()).slice(0, 300);
        let message = text;
        try {
          const error = (JSON.parse(text) as { error?: unknown }).error;
          message = typeof error === 'string' ? error : text;
        } catch {
          // Not JSON: keep the text.
        }
        return failed(
          `http-${response.status}`,
          htmlPageSummary(`${response.status} ${text}`) ?? `HTTP ${response.status}: ${message.replace(/\s+/g, ' ')}`,
        );
      }
      // Newline-delimited JSON, one object per streamed piece; the last one has done: true.
      const decoder = new TextDecoder();
      let pending = '';
      const handleLine = (line: string) => {
        if (!line.trim()) return;
        const message = JSON.parse(line) as Record<string, unknown>;
        if (typeof message.error === 'string') throw new OllamaStreamError(message.error);
        const content = (message.message as { content?: unknown } | undefined)?.content;
        if (typeof content === 'string' && content.length > 0) {
          clock.content();
          parts.push(content);
          received += content.length;
          if (received > charLimit) throw new OversizedAnswer();
        }
        // Ollama sends each tool call whole, its arguments an object rather than text.
        const calls = (message.message as { tool_calls?: unknown } | undefined)?.tool_calls;
        if (Array.isArray(calls)) {
          for (const entry of calls) {
            const fn = (entry as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
            if (typeof fn?.name !== 'string') continue;
            clock.content();
            toolCalls.push({
              name: fn.name,
              arguments: typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {}),
            });
          }
        }
        if (message.done === true) final = message;
      };
      for await (const bytes of response.body) {
        pending += decoder.decode(bytes as Uint8Array, { stream: true });
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          handleLine(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
      }
      handleLine(pending + decoder.decode());
      const done = final as Record<string, unknown> | null;
      const stopped = deadline.stopped();
      if (stopped) return failed(stopped.errorClass, stopped.message);
      if (!done)
        return failed('truncated-stream', 'the stream ended before Ollama sent its final message (done: true)');
      const timings = ollamaTimings(done);
      return {
        text: parts.join(''),
        latencyMs: clock.elapsedMs(),
        ttftMs: clock.ttftMs,
        outputTokens: timings.outputTokens ?? (clock.chunks > 0 ? clock.chunks : null),
        inputTokens: timings.promptTokens,
        toolCalls: toolCalls.length > 0 ? toolCalls : null,
        outputTokensSource: timings.outputTokens !== null ? 'server' : clock.chunks > 0 ? 'chunks' : null,
        finishReason: typeof done.done_reason === 'string' ? done.done_reason : 'stop',
        ...clock.interToken(),
        serverTimings: timings,
        errorClass: null,
        errorMessage: null,
      };
    } catch (error) {
      if (error instanceof OversizedAnswer)
        return failedCall(
          clock,
          parts.join('').slice(0, 1000),
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
      const response = await fetch(`${root}/api/generate`, {
        method: 'POST',
        headers: headers(target),
        signal,
        body: JSON.stringify({ model, keep_alive: 0 }),
      });
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
