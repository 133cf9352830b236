// Runs a suite against each target: preflight, one cold call timed apart, then warm runs of every
// scenario at the configured concurrency, with per-call timeouts and cancellation.
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Plan, RunSettings, Target } from '../config/schema.js';
import type { ColdStartNote, Endpoint, PreflightResult } from '../endpoint/types.js';
import type { AnswerScorer } from '../score/answer.js';
import type { Scenario, Suite } from '../suite/schema.js';
import { newRequestId } from '../endpoint/stream-timing.js';
import { makeServerCold } from './cold-start.js';
import { backoff, RetryBudget, type RetrySummary } from './retry.js';
import type { Sample } from './sample.js';

const EXCERPT_CHARS = 300;

export interface Progress {
  target: string;
  done: number;
  total: number;
}

export interface TargetRun {
  target: Target;
  /** Transient failures retried, by class, and whether the run's retry budget ran out. */
  retries: RetrySummary | null;
  preflight: PreflightResult;
  /** How the cold call's state was reached; null for confirmation passes or when no cold call ran. */
  coldStart: ColdStartNote | null;
  plannedCalls: number;
  samples: Sample[];
}

export interface RunResult {
  targets: TargetRun[];
  cancelled: boolean;
}

export interface RunOptions {
  plan: Plan;
  suite: Suite;
  signal: AbortSignal;
  endpointFor: (target: Target) => Endpoint;
  scoreAnswer: AnswerScorer;
  onSample: (sample: Sample, progress: Progress) => void;
  onPreflight?: (target: Target, result: PreflightResult) => void;
  /** A confirmation pass: no cold call, runs numbered after the first pass, phase `confirm`. */
  confirmation?: { runOffset: number };
}

interface PlannedCall {
  scenario: Scenario;
  run: number;
  phase: Sample['phase'];
  /** Runs at the latency concurrency and counts for latency. */
  timed: boolean;
}

/**
 * Warm calls go run by run (every scenario once, then again), so slow drift hits all scenarios
 * alike. With a concurrency above the latency concurrency, the first latency-runs runs are timed
 * at the latency concurrency; the rest only add quality samples, fast.
 */
export function plannedCalls(suite: Suite, settings: Pick<RunSettings, 'warmRuns' | 'concurrency' | 'latencyConcurrency' | 'latencyRuns'>, confirmation?: { runOffset: number }): PlannedCall[] {
  const calls: PlannedCall[] = confirmation ? [] : [{ scenario: suite.scenarios[0]!, run: 0, phase: 'cold', timed: true }];
  const offset = confirmation?.runOffset ?? 0;
  const split = settings.concurrency > settings.latencyConcurrency;
  for (let run = 1; run <= settings.warmRuns; run += 1) {
    const timed = confirmation !== undefined || !split || run <= settings.latencyRuns;
    for (const scenario of suite.scenarios) calls.push({ scenario, run: offset + run, phase: confirmation ? 'confirm' : 'warm', timed });
  }
  return calls;
}

/** Fills `result` as it goes, so a caller whose run throws midway still holds every sample taken. */
export async function runSuite(options: RunOptions, result: RunResult = { targets: [], cancelled: false }): Promise<RunResult> {
  const { plan, suite, signal } = options;
  // Every call in flight listens to the run's signal: more than Node's default of 10 is expected.
  setMaxListeners(Math.max(10, 2 * plan.settings.concurrency + 10), signal);
  const dataUrls = new Map(suite.scenarios.map((scenario) => [scenario.id, `data:${scenario.image.mediaType};base64,${scenario.image.bytes.toString('base64')}`]));
  const calls = plannedCalls(suite, plan.settings, options.confirmation);
  const targets = result.targets;

  for (const target of plan.targets) {
    if (signal.aborted) break;
    const endpoint = options.endpointFor(target);
    const preflight = options.confirmation ? { ok: true, diagnosis: null, servedModels: [], serverVersion: null } : await endpoint.preflight(signal);
    options.onPreflight?.(target, preflight);
    const targetRun: TargetRun = { target, preflight, coldStart: null, retries: null, plannedCalls: calls.length, samples: [] };
    targets.push(targetRun);
    if (!preflight.ok) continue;
    if (calls[0]?.phase === 'cold') {
      try {
        targetRun.coldStart = await makeServerCold(target, endpoint, signal);
      } catch (error) {
        // A reset that fails leaves nothing to measure honestly: the target stops here, said why.
        targetRun.preflight = { ...preflight, ok: false, diagnosis: error instanceof Error ? error.message : String(error) };
        continue;
      }
    }

    let done = 0;
    const retryBudget = new RetryBudget(calls.length, plan.settings.retries);
    targetRun.retries = retryBudget.summary;
    const execute = async (call: PlannedCall, attempt = 1): Promise<void> => {
      if (signal.aborted) return;
      const startedAt = new Date().toISOString();
      const requestId = newRequestId();
      const outcome = await endpoint.call({ prompt: suite.prompt, imageDataUrl: dataUrls.get(call.scenario.id)!, outputSchema: suite.output.schema, signal, requestId });
      if (outcome.errorClass === 'cancelled') return;
      const retry = retryBudget.take(outcome.errorClass, attempt);
      const answered = outcome.errorClass === null;
      const score = answered
        ? options.scoreAnswer(outcome.text, call.scenario.keywords)
        : { jsonValid: false, schemaValid: false, flagged: false, detected: false, matchedKeywords: [] };
      const decodeMs = outcome.ttftMs === null ? 0 : outcome.latencyMs - outcome.ttftMs;
      const sample: Sample = {
        target: target.name,
        scenario: call.scenario.id,
        category: call.scenario.category,
        anomaly: call.scenario.anomaly,
        run: call.run,
        phase: call.phase,
        attempt,
        retried: retry,
        timed: call.timed,
        startedAt,
        requestId,
        latencyMs: round(outcome.latencyMs),
        ttftMs: outcome.ttftMs === null ? null : round(outcome.ttftMs),
        outputTokens: outcome.outputTokens,
        outputTokensSource: outcome.outputTokensSource,
        outputTokensPerSecond: answered && outcome.outputTokens !== null && outcome.outputTokens > 1 && decodeMs > 0 ? round(((outcome.outputTokens - 1) * 1000) / decodeMs) : null,
        jsonValid: score.jsonValid,
        schemaValid: score.schemaValid,
        flagged: score.flagged,
        detected: score.detected,
        matchedKeywords: score.matchedKeywords,
        finishReason: outcome.finishReason,
        interTokenMeanMs: answered ? outcome.interTokenMeanMs : null,
        interTokenP95Ms: answered ? outcome.interTokenP95Ms : null,
        serverTimings: outcome.serverTimings,
        errorClass: outcome.errorClass,
        errorMessage: outcome.errorMessage,
        excerpt: outcome.text.slice(0, EXCERPT_CHARS),
      };
      targetRun.samples.push(sample);
      if (retry) {
        options.onSample(sample, { target: target.name, done, total: calls.length });
        if (await backoff(attempt, signal)) await execute(call, attempt + 1);
        return;
      }
      done += 1;
      options.onSample(sample, { target: target.name, done, total: calls.length });
    };

    // The cold call runs alone: nothing else may warm the server before it is timed.
    const warmCalls = calls[0]?.phase === 'cold' ? calls.slice(1) : calls;
    if (warmCalls !== calls) await execute(calls[0]!);
    // Once cancelled, queued calls return at once (execute checks the signal) and in-flight ones abort.
    // Timed runs first, at the latency concurrency; then quality-only runs at full concurrency.
    const timedLimit = pLimit(plan.settings.latencyConcurrency);
    await Promise.all(warmCalls.filter((call) => call.timed).map((call) => timedLimit(() => execute(call))));
    const qualityLimit = pLimit(plan.settings.concurrency);
    await Promise.all(warmCalls.filter((call) => !call.timed).map((call) => qualityLimit(() => execute(call))));
  }
  result.cancelled = signal.aborted;
  return result;
}

const round = (value: number) => Math.round(value * 100) / 100;
