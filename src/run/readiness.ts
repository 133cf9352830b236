// Whether a server answers: one probe, and a wait that polls until it does. The cold-start command,
// the server started by model-gate and the runner riding out a restart mid-run all wait this way.
import { boundedFetch, MAX_ERROR_BODY_BYTES } from '../lib/bounded-fetch.js';
import type { Target } from '../config/schema.js';
import { shortMessage, socketErrorClass } from '../endpoint/diagnose.js';

/** One readiness probe: a health check answers in well under this. */
const READY_PROBE_TIMEOUT_MS = 5000;
const READY_POLL_MS = 250;
/**
 * A wait's probe gets at least this, even when the deadline is (nearly) spent, as it is when a slow
 * command used most of it: what the wait reports must be the server's state, not "no answer within 0.0 s".
 */
const MIN_PROBE_MS = 1000;

export type ProbeResult =
  | { state: 'ready' }
  /** It answered, but not yet 200: a server loading its model answers 503. */
  | { state: 'answering'; detail: string }
  /** Nothing answered: refused, reset, or no answer within the probe's timeout. */
  | { state: 'unreachable'; detail: string; timedOut: boolean };

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export async function probeReady(
  target: Pick<Target, 'apiKey' | 'baseUrl'>,
  url: string,
  signal: AbortSignal,
  timeoutMs = READY_PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  const probeMs = Math.max(1, timeoutMs);
  const deadline = AbortSignal.timeout(probeMs);
  try {
    const response = await boundedFetch({ timeoutMs: probeMs, maxBytes: MAX_ERROR_BODY_BYTES })(url, {
      // The key belongs to the server at base-url: a health check elsewhere does not get it.
      headers: target.apiKey && sameOrigin(url, target.baseUrl) ? { authorization: `Bearer ${target.apiKey}` } : {},
      signal: AbortSignal.any([signal, deadline]),
    });
    await response.arrayBuffer();
    return response.status === 200 ? { state: 'ready' } : { state: 'answering', detail: `HTTP ${response.status}` };
  } catch (error) {
    const socket = socketErrorClass(error);
    const detail = deadline.aborted
      ? `no answer within ${(probeMs / 1000).toFixed(1)} s`
      : socket
        ? socket.replace('-', ' ')
        : shortMessage((error as { cause?: unknown }).cause ?? error);
    return { state: 'unreachable', detail, timedOut: deadline.aborted };
  }
}

export interface WaitOptions {
  /** Date.now() by which the server must be ready. */
  deadline: number;
  signal: AbortSignal;
  /** Called about every `everyMs` while still waiting, with the seconds waited and the last probe's answer. */
  onWaiting?: (waitedMs: number, last: string) => void;
  everyMs?: number;
  /** A reason to stop waiting at once (the server's process exited), or null. */
  gone?: () => string | null;
}

/** Polls until the URL answers 200; the time it took, or what it last saw when the deadline passed. */
export async function waitUntilReady(
  target: Pick<Target, 'apiKey' | 'baseUrl'>,
  url: string,
  options: WaitOptions,
): Promise<{ ready: true; waitedMs: number } | { ready: false; waitedMs: number; last: string }> {
  const started = performance.now();
  const everyMs = options.everyMs ?? 10_000;
  let nextNotice = everyMs;
  let last = 'no answer yet';
  while (!options.signal.aborted) {
    const gone = options.gone?.();
    if (gone) return { ready: false, waitedMs: performance.now() - started, last: gone };
    const probe = await probeReady(
      target,
      url,
      options.signal,
      Math.min(READY_PROBE_TIMEOUT_MS, Math.max(MIN_PROBE_MS, options.deadline - Date.now())),
    );
    if (probe.state === 'ready') return { ready: true, waitedMs: performance.now() - started };
    last = probe.detail;
    const waitedMs = performance.now() - started;
    if (options.onWaiting && waitedMs >= nextNotice) {
      options.onWaiting(waitedMs, last);
      nextNotice += everyMs;
    }
    if (Date.now() + READY_POLL_MS > options.deadline) break;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { ready: false, waitedMs: performance.now() - started, last: options.signal.aborted ? 'cancelled' : last };
}
