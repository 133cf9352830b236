// Client-side timing of a streamed answer, shared by every endpoint kind: time to the first content
// chunk and the gaps between content chunks after it (inter-token latency, as vLLM's and
// guidellm's benchmarks measure it per streamed chunk).
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { mean, quantileSorted } from 'simple-statistics';
import type { CallOutcome, ErrorClass, ServerTimings } from './types.js';
import { round } from '../lib/round.js';

export class StreamClock {
  private started = performance.now();
  private first: number | null = null;
  private last: number | null = null;
  private readonly gaps: number[] = [];
  chunks = 0;

  /**
   * The request is on its way: the clock restarts here, so that the client's own work before
   * sending (the client library serializing a body with a base64 image, fetch preparing it) is not
   * counted as the server's latency. Called at fetch, then again when fetch writes the headers.
   */
  sending(): void {
    if (this.first === null) this.started = performance.now();
  }

  private firstEvent: number | null = null;

  /** Call for every chunk of the answer (a role, content, a tool call); the first marks decoding under way. */
  event(): void {
    this.firstEvent ??= performance.now();
  }

  get decodeStartMs(): number | null {
    const start = this.firstEvent ?? this.first;
    return start === null ? null : start - this.started;
  }

  /** Call once per chunk that carries content. */
  content(): void {
    this.event();
    const now = performance.now();
    if (this.first === null) this.first = now;
    else this.gaps.push(now - (this.last ?? this.first));
    this.last = now;
    this.chunks += 1;
  }

  get ttftMs(): number | null {
    return this.first === null ? null : this.first - this.started;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  interToken(): { interTokenMeanMs: number | null; interTokenP95Ms: number | null } {
    if (this.gaps.length === 0) return { interTokenMeanMs: null, interTokenP95Ms: null };
    const sorted = [...this.gaps].sort((a, b) => a - b);
    return { interTokenMeanMs: round(mean(sorted)), interTokenP95Ms: round(quantileSorted(sorted, 0.95)) };
  }
}

// Each call's request carries an X-Request-Id (which servers such as vLLM log and echo, so a
// sample can be found in the server's log); it is also how the request's clock is found again.
export const REQUEST_ID_HEADER = 'x-request-id';
const clocksByRequestId = new Map<string, StreamClock>();
let requestCounter = 0;
const runTag = randomUUID().slice(0, 8);

/** A fresh request id: unique in this process, recognisable in a server's log. */
export function newRequestId(): string {
  requestCounter += 1;
  return `model-gate-${runTag}-${requestCounter}`;
}

/** The clock restarts when the request with this id leaves; release it after the call. */
export function trackRequest(clock: StreamClock, requestId: string): { requestId: string; release: () => void } {
  clocksByRequestId.set(requestId, clock);
  return { requestId, release: () => clocksByRequestId.delete(requestId) };
}

/** Restarts the clock of the call whose request id this is (the client library is about to send it). */
export function requestSending(requestId: string | null | undefined): void {
  if (requestId) clocksByRequestId.get(requestId)?.sending();
}

// Node's fetch (undici) reports on this channel as it writes a request's headers to the socket:
// the request is on the wire. (The body-sent event comes from a write callback, which a busy
// event loop can run after the answer has started arriving; it would shorten the figures.)
subscribe('undici:client:sendHeaders', (message) => {
  const headers = (message as { headers?: unknown }).headers;
  if (clocksByRequestId.size > 0 && typeof headers === 'string')
    requestSending(/\r\nx-request-id: *([^\r\n]+)/i.exec(headers)?.[1]);
});

let waitingForBodySent: (() => void)[] = [];

/**
 * Runs `callback` once undici has written the whole of the next request, body included: from then
 * on the server holds the request, and the client's own work no longer delays it.
 */
export function whenNextRequestSent(callback: () => void): void {
  waitingForBodySent.push(callback);
}

subscribe('undici:request:bodySent', () => {
  if (waitingForBodySent.length === 0) return;
  const callbacks = waitingForBodySent;
  waitingForBodySent = [];
  // Out of undici's write callback before running them.
  queueMicrotask(() => {
    for (const callback of callbacks) callback();
  });
});

/**
 * One controller per call, aborted by its deadline or by the run's cancellation. A listener
 * (removed by dispose) rather than AbortSignal.any, whose dependents pile up on a long-lived signal.
 */
export interface CallDeadline {
  signal: AbortSignal;
  timedOut: () => boolean;
  /** What the error message says of a call ended by its deadline. */
  timeoutMessage: string;
  /** Why the call was stopped (its deadline, or the run's cancellation), or null while it runs. */
  stopped: () => { errorClass: 'timeout' | 'cancelled'; message: string } | null;
  dispose: () => void;
}

export function callDeadline(timeoutMs: number, cancel: AbortSignal): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCancel = () => controller.abort();
  cancel.addEventListener('abort', onCancel, { once: true });
  const timeoutMessage = `no complete answer within ${timeoutMs / 1000} s`;
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    timeoutMessage,
    stopped: () =>
      controller.signal.aborted
        ? timedOut
          ? { errorClass: 'timeout', message: timeoutMessage }
          : { errorClass: 'cancelled', message: 'cancelled' }
        : null,
    dispose: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/** The outcome of a call that failed: what streamed before the failure, and no token figures. */
/**
 * An answer longer than this is cut off: a server that ignores max_tokens can stream without end,
 * and every character would be held in memory. Generous: 64 characters a token, 256 KB at least.
 */
export const answerCharLimit = (maxTokens: number) => Math.max(256 * 1024, maxTokens * 64);
export const oversizedMessage = (limit: number, maxTokens: number) =>
  `the answer passed ${Math.round(limit / 1024)} KB with max-tokens at ${maxTokens}: the server does not honour max_tokens; the rest was not read`;

export function failedCall(
  clock: StreamClock,
  text: string,
  errorClass: ErrorClass,
  errorMessage: string,
  known: { finishReason?: string | null; serverTimings?: ServerTimings | null } = {},
): CallOutcome {
  return {
    text,
    latencyMs: clock.elapsedMs(),
    ttftMs: clock.ttftMs,
    outputTokens: null,
    inputTokens: null,
    toolCalls: null,
    outputTokensSource: null,
    finishReason: known.finishReason ?? null,
    interTokenMeanMs: null,
    interTokenP95Ms: null,
    serverTimings: known.serverTimings ?? null,
    errorClass,
    errorMessage,
  };
}
