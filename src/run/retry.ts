// Retrying transient failures: a server restarting, a proxy's 502, a 429, a stream cut short.
// A retried attempt stays a sample (the error rate counts it, latency never does); a run-wide
// budget keeps a failing server from being hammered and its failures from being hidden.
import type { ErrorClass } from '../endpoint/types.js';
import { z } from 'zod';

const TRANSIENT = new Set<string>([
  'connection-reset',
  'connection-refused',
  'connection',
  'truncated-stream',
  'http-429',
  'http-500',
  'http-502',
  'http-503',
  'http-504',
]);
/** Share of a target's planned calls that may be retried in one run (at least 3 retries). */
const RETRY_BUDGET_SHARE = 0.1;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4000;

/** A timeout is not transient: retrying would hide a slow server. Nor is a 4xx other than 429. */
const isTransient = (errorClass: string | null) => errorClass !== null && TRANSIENT.has(errorClass);

export const retrySummarySchema = z.object({
  retried: z.number().int(),
  byClass: z.record(z.string(), z.number().int()),
  budget: z.number().int(),
  exhausted: z.boolean(),
});
export type RetrySummary = z.infer<typeof retrySummarySchema>;

export class RetryBudget {
  readonly summary: RetrySummary;

  constructor(
    plannedCalls: number,
    private readonly retriesPerCall: number,
  ) {
    this.summary = {
      retried: 0,
      byClass: {},
      budget: retriesPerCall === 0 ? 0 : Math.max(3, Math.ceil(plannedCalls * RETRY_BUDGET_SHARE)),
      exhausted: false,
    };
  }

  /**
   * Whether this attempt's failure is retried (and spends one from the budget). A call an outage
   * interrupted is retried past the budget, within the per-call retries.
   */
  take(errorClass: ErrorClass | null, attempt: number, context: { outage: boolean } = { outage: false }): boolean {
    if (!isTransient(errorClass) || attempt > this.retriesPerCall) return false;
    if (this.summary.retried >= this.summary.budget && !context.outage) {
      this.summary.exhausted = true;
      return false;
    }
    this.summary.retried += 1;
    if (errorClass) this.summary.byClass[errorClass] = (this.summary.byClass[errorClass] ?? 0) + 1;
    return true;
  }
}

/** Waits before attempt + 1: exponential with full jitter (AWS's advice), capped. False if cancelled. */
export function backoff(attempt: number, signal: AbortSignal): Promise<boolean> {
  const ms = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
