// What a run knows of its server's health: outages ridden out (a crash and restart, a supervisor
// bringing it back, a model reloading), and a health check that tells a slow server from a hung one.
import { z } from 'zod';
import type { Target } from '../config/schema.js';
import { probeReady, waitUntilReady } from './readiness.js';

export const outageSchema = z.object({
  startedAt: z.string(),
  /** How long the server did not answer; null when it had not come back when the wait ended. */
  downMs: z.number().nullable(),
  /** What the failed call saw, and what the health checks saw after it. */
  cause: z.string(),
  /** Calls that failed during it and were not made good by a retry once it was back. */
  callsLost: z.number().int(),
});
export type Outage = z.infer<typeof outageSchema>;

/** Failures that mean the server went away, or a proxy lost it: the next attempt waits for it. */
export const WENT_AWAY: ReadonlySet<string> = new Set([
  'connection-refused',
  'connection-reset',
  'connection',
  'truncated-stream',
  'http-502',
  'http-503',
  'http-504',
]);

/** never-left: it answered at once (a blip); returned: it was down and came back; gone: it did not come back in time. */
export type Return = 'never-left' | 'returned' | 'gone';

export interface WatchOptions {
  target: Pick<Target, 'name' | 'apiKey' | 'baseUrl'>;
  /** What the health check asks: the endpoint's model list, which answers 200 once the model is loaded. */
  url: string;
  readyTimeoutMs: number;
  notify: (message: string) => void;
  /** Why the server cannot come back (its process exited), or null. */
  gone?: () => string | null;
}

export class ServerWatch {
  readonly outages: Outage[] = [];
  private waiting: Promise<Return> | null = null;

  constructor(private readonly options: WatchOptions) {}

  /** After a call failed as if the server went away. Calls failing together share one wait. */
  awaitReturn(cause: string, signal: AbortSignal): Promise<Return> {
    this.waiting ??= this.wait(cause, signal).finally(() => {
      this.waiting = null;
    });
    return this.waiting;
  }

  /** A call failed for good while the server was down: it is lost to the latest outage. */
  lost(): void {
    const outage = this.outages.at(-1);
    if (outage) outage.callsLost += 1;
  }

  /**
   * After a call timed out: the health check's answer when the server does not give one within
   * its timeout (hung), or null when it answers (slow, or down, which the next call finds).
   */
  async hung(signal: AbortSignal): Promise<string | null> {
    const probe = await probeReady(this.options.target, this.options.url, signal);
    return probe.state === 'unreachable' && probe.timedOut ? probe.detail : null;
  }

  private async wait(cause: string, signal: AbortSignal): Promise<Return> {
    const { target, url, readyTimeoutMs, notify } = this.options;
    const gone = this.options.gone?.();
    const first = gone ? null : await probeReady(target, url, signal);
    if (first?.state === 'ready') return 'never-left';
    const started = Date.now();
    const outage: Outage = {
      startedAt: new Date(started).toISOString(),
      downMs: null,
      cause: `${cause}; then GET ${url}: ${gone ?? first?.detail}`,
      callsLost: 0,
    };
    this.outages.push(outage);
    if (gone) return 'gone';
    const who = `Target "${target.name}"`;
    notify(
      `${who}: the server stopped answering (${cause}; GET ${url}: ${first?.detail}). Waiting up to ${readyTimeoutMs / 1000} s (ready-timeout) for it to come back.`,
    );
    const result = await waitUntilReady(target, url, {
      deadline: started + readyTimeoutMs,
      signal,
      onWaiting: (waitedMs, last) => {
        notify(`${who}: still waiting for the server after ${Math.round(waitedMs / 1000)} s (${last}).`);
      },
      ...(this.options.gone ? { gone: this.options.gone } : {}),
    });
    if (result.ready) {
      outage.downMs = Date.now() - started;
      notify(`${who}: the server answers again after ${(outage.downMs / 1000).toFixed(1)} s; the calls go on.`);
      return 'returned';
    }
    outage.cause = `${cause}; then GET ${url}: ${result.last}`;
    return 'gone';
  }
}
