// Client-side timing of a streamed answer, shared by every endpoint kind: time to the first content
// chunk and the gaps between content chunks after it (inter-token latency, as vLLM's and
// guidellm's benchmarks measure it per streamed chunk).
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { mean, quantileSorted } from 'simple-statistics';
import type { CallOutcome, ErrorClass, ServerTimings } from './types.js';

const round = (value: number) => Math.round(value * 100) / 100;

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

  /** Call once per chunk that carries content. */
  content(): void {
    const now = performance.now();
    if (this.first === null) this.first = now;
    else this.gaps.push(now - this.last!);
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

const requestClock = new AsyncLocalStorage<StreamClock>();

// Node's fetch (undici) reports on this channel as it writes a request's headers to the socket,
// synchronously and in the async context of the fetch call: the request is on the wire. (The
// body-sent event comes from a write callback, which a busy event loop can run after the answer
// has started arriving; it would shorten the figures.)
subscribe('undici:client:sendHeaders', () => requestClock.getStore()?.sending());

/** Runs `send` (which makes one fetch) so that the clock restarts when the request leaves. */
export function timedRequest<T>(clock: StreamClock, send: () => T): T {
  return requestClock.run(clock, () => {
    clock.sending();
    return send();
  });
}

/**
 * One controller per call, aborted by its deadline or by the run's cancellation. A listener
 * (removed by dispose) rather than AbortSignal.any, whose dependents pile up on a long-lived signal.
 */
export function callDeadline(timeoutMs: number, cancel: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onCancel = () => controller.abort();
  cancel.addEventListener('abort', onCancel, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/** The outcome of a call that failed: what streamed before the failure, and no token figures. */
export function failedCall(clock: StreamClock, text: string, errorClass: ErrorClass, errorMessage: string, known: { finishReason?: string | null; serverTimings?: ServerTimings | null } = {}): CallOutcome {
  return {
    text,
    latencyMs: clock.elapsedMs(),
    ttftMs: clock.ttftMs,
    outputTokens: null,
    outputTokensSource: null,
    finishReason: known.finishReason ?? null,
    interTokenMeanMs: null,
    interTokenP95Ms: null,
    serverTimings: known.serverTimings ?? null,
    errorClass,
    errorMessage,
  };
}
