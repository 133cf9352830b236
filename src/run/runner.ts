// Runs a suite against each target: preflight, one cold call timed apart, then warm runs of every
// scenario at the configured concurrency, with per-call timeouts and cancellation.
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Plan, RunSettings, Target } from '../config/schema.js';
import type { ColdStartNote, Endpoint, PreflightResult } from '../endpoint/types.js';
import { UNANSWERED, zeroScores, type AnswerScorer } from '../score/answer.js';
import { routedCall } from '../score/tool-call.js';
import type { Scenario, Suite, ToolDefinition } from '../suite/schema.js';
import { newRequestId, whenNextRequestSent } from '../endpoint/stream-timing.js';
import { makeServerCold } from './cold-start.js';
import { backoff, RetryBudget, type RetrySummary } from './retry.js';
import type { Sample } from './sample.js';
import { defined } from '../lib/defined.js';
import { round } from '../lib/round.js';

const EXCERPT_CHARS = 300;
/** Calls in a row that found the endpoint gone or hung before the target stops: the rest would only wait out their timeouts. */
export const MAX_CONSECUTIVE_UNREACHABLE = 5;
const UNREACHABLE = new Set(['timeout', 'connection-refused', 'connection']);

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
  /** Why the target's calls stopped before the plan was done (an endpoint that stopped answering); null otherwise. */
  stopped: string | null;
  /** Full answer texts of warm calls, keyed scenario#run, kept only when asked (for answer similarity). */
  answers?: Map<string, string>;
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
  /** Keep each warm answer's full text in TargetRun.answers (A-versus-B similarity needs more than the excerpt). */
  keepAnswers?: boolean;
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
export function plannedCalls(
  suite: Suite,
  settings: Pick<RunSettings, 'warmRuns' | 'concurrency' | 'latencyConcurrency' | 'latencyRuns'>,
  confirmation?: { runOffset: number },
): PlannedCall[] {
  const calls: PlannedCall[] = confirmation
    ? []
    : [{ scenario: defined(suite.scenarios[0], 'a first scenario'), run: 0, phase: 'cold', timed: true }];
  const offset = confirmation?.runOffset ?? 0;
  const split = settings.concurrency > settings.latencyConcurrency;
  for (let run = 1; run <= settings.warmRuns; run += 1) {
    const timed = confirmation !== undefined || !split || run <= settings.latencyRuns;
    for (const scenario of suite.scenarios)
      calls.push({ scenario, run: offset + run, phase: confirmation ? 'confirm' : 'warm', timed });
  }
  return calls;
}

/** Targets run one after another, except compared pairs, which run together. */
export function targetGroups(targets: readonly Target[]): Target[][] {
  const byName = new Map(targets.map((target) => [target.name, target]));
  const grouped = new Set<string>();
  const groups: Target[][] = [];
  for (const target of targets) {
    if (grouped.has(target.name)) continue;
    const partner = target.compareTo
      ? byName.get(target.compareTo)
      : targets.find((other) => other.compareTo === target.name);
    const group = partner && !grouped.has(partner.name) ? [target, partner] : [target];
    for (const member of group) grouped.add(member.name);
    groups.push(group);
  }
  return groups;
}

/** Fills `result` as it goes, so a caller whose run throws midway still holds every sample taken. */
export async function runSuite(
  options: RunOptions,
  result: RunResult = { targets: [], cancelled: false },
): Promise<RunResult> {
  const { plan, suite, signal } = options;
  // Every call in flight listens to the run's signal: more than Node's default of 10 is expected.
  setMaxListeners(Math.max(10, 2 * plan.settings.concurrency + 10), signal);
  const dataUrls = new Map(
    suite.scenarios.map((scenario) => [
      scenario.id,
      scenario.image ? `data:${scenario.image.mediaType};base64,${scenario.image.bytes.toString('base64')}` : null,
    ]),
  );
  const calls = plannedCalls(suite, plan.settings, options.confirmation);
  const targets = result.targets;
  const recordings = recordingQueue();
  const oneAtATime = (call: PlannedCall) =>
    (call.timed ? plan.settings.latencyConcurrency : plan.settings.concurrency) === 1;

  interface TargetSession {
    execute: (call: PlannedCall, attempt?: number) => Promise<void>;
  }

  /** Preflight and cold state for one target; null when it cannot be measured (said in its TargetRun). */
  async function openSession(target: Target): Promise<TargetSession | null> {
    const endpoint = options.endpointFor(target);
    const preflight = options.confirmation
      ? { ok: true, diagnosis: null, servedModels: [], serverVersion: null }
      : await endpoint.preflight(signal);
    options.onPreflight?.(target, preflight);
    const targetRun: TargetRun = {
      target,
      preflight,
      coldStart: null,
      retries: null,
      plannedCalls: calls.length,
      samples: [],
      stopped: null,
      ...(options.keepAnswers ? { answers: new Map() } : {}),
    };
    targets.push(targetRun);
    if (!preflight.ok) return null;
    if (calls[0]?.phase === 'cold') {
      try {
        targetRun.coldStart = await makeServerCold(target, endpoint, signal);
      } catch (error) {
        // A reset that fails leaves nothing to measure honestly: the target stops here, said why.
        targetRun.preflight = {
          ...preflight,
          ok: false,
          diagnosis: error instanceof Error ? error.message : String(error),
        };
        return null;
      }
    }
    let done = 0;
    let unreachableInARow = 0;
    // Stopping a target aborts its calls in flight, as cancelling the run would, and skips the rest.
    const stopTarget = new AbortController();
    const callSignal = AbortSignal.any([signal, stopTarget.signal]);
    setMaxListeners(Math.max(10, 2 * plan.settings.concurrency + 10), callSignal);
    const nativeTools = suite.tools?.length && target.toolMode === 'native' ? suite.tools : null;
    const retryBudget = new RetryBudget(calls.length, plan.settings.retries);
    targetRun.retries = retryBudget.summary;
    const execute = async (call: PlannedCall, attempt = 1): Promise<void> => {
      if (callSignal.aborted) return;
      const startedAt = new Date().toISOString();
      const requestId = newRequestId();
      const outcome = await endpoint.call({
        ...messagesFor(suite, call.scenario, target),
        imageDataUrl: dataUrls.get(call.scenario.id) ?? null,
        outputSchema: suite.output.schema,
        signal: callSignal,
        requestId,
        ...(nativeTools ? { tools: nativeTools } : {}),
      });
      if (outcome.errorClass === 'cancelled') return;
      if (stopTarget.signal.aborted && !signal.aborted) return;
      const retry = retryBudget.take(outcome.errorClass, attempt);
      const answered = outcome.errorClass === null;
      if (!retry) done += 1;
      const progress = { target: target.name, done, total: calls.length };
      const record = () => {
        // An unanswered call scores zero on what the scenario scores, as a failed call misses an anomaly.
        const score = answered
          ? options.scoreAnswer({ text: outcome.text, toolCalls: outcome.toolCalls }, call.scenario)
          : { ...UNANSWERED, scores: zeroScores(suite, call.scenario) };
        const toolCall =
          suite.scorer.kind === 'tool-call' && answered ? routedCall(outcome.text, outcome.toolCalls) : null;
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
          outputTokensPerSecond:
            answered && outcome.outputTokens !== null && outcome.outputTokens > 1 && decodeMs > 0
              ? round(((outcome.outputTokens - 1) * 1000) / decodeMs)
              : null,
          jsonValid: score.jsonValid,
          schemaValid: score.schemaValid,
          flagged: score.flagged,
          detected: score.detected,
          matchedKeywords: score.matchedKeywords,
          scores: score.scores,
          tool: toolCall?.tool ?? null,
          inputTokens: outcome.inputTokens,
          finishReason: outcome.finishReason,
          interTokenMeanMs: answered ? outcome.interTokenMeanMs : null,
          interTokenP95Ms: answered ? outcome.interTokenP95Ms : null,
          serverTimings: outcome.serverTimings,
          errorClass: outcome.errorClass,
          errorMessage: outcome.errorMessage,
          excerpt: (outcome.toolCalls?.length
            ? outcome.toolCalls.map((entry) => `${entry.name}(${entry.arguments})`).join(' ')
            : outcome.text
          ).slice(0, EXCERPT_CHARS),
        };
        targetRun.samples.push(sample);
        if (targetRun.answers && answered && call.phase === 'warm')
          targetRun.answers.set(
            `${call.scenario.id}#${call.run}`,
            outcome.toolCalls?.length ? sample.excerpt : outcome.text,
          );
        options.onSample(sample, progress);
      };
      // A call taken one at a time is recorded once the next call's request is out (recordingQueue);
      // a failed one at once, since what follows depends on it.
      if (answered && oneAtATime(call)) recordings.defer(record);
      else recordings.now(record);
      if (retry) {
        if (await backoff(attempt, signal)) await execute(call, attempt + 1);
        return;
      }
      unreachableInARow =
        outcome.errorClass !== null && UNREACHABLE.has(outcome.errorClass) ? unreachableInARow + 1 : 0;
      if (unreachableInARow >= MAX_CONSECUTIVE_UNREACHABLE && !targetRun.stopped) {
        // now() recorded this failure after every call before it: the samples are complete here.
        const last = defined(targetRun.samples.at(-1), 'the failed sample');
        const what = last.errorClass === 'timeout' ? 'timed out' : 'found nothing listening';
        targetRun.stopped = `Target "${target.name}": ${MAX_CONSECUTIVE_UNREACHABLE} calls in a row ${what} (${last.errorMessage ?? last.errorClass}), so its remaining ${calls.length - done} calls were not made: the endpoint stopped answering after ${targetRun.samples.filter((entry) => entry.errorClass === null).length} successful calls. The samples taken are in the report.`;
        stopTarget.abort();
      }
    };

    return { execute };
  }

  /** Every target group in turn; the samples of calls made one at a time are recorded by finish() at the latest. */
  async function runGroups(): Promise<void> {
    for (const group of targetGroups(plan.targets)) {
      if (signal.aborted) break;
      const sessions: TargetSession[] = [];
      for (const target of group) {
        // Aborted while the previous target's session opened (the types see only the first pass).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (signal.aborted) break;
        const session = await openSession(target);
        if (session) sessions.push(session);
      }
      if (sessions.length === 0) continue;
      // The cold call runs alone: nothing else may warm the server before it is timed.
      for (const session of sessions) if (calls[0]?.phase === 'cold') await session.execute(calls[0]);
      const warmCalls = calls[0]?.phase === 'cold' ? calls.slice(1) : calls;
      // Compared targets alternate call by call, A then B on odd runs and B then A on even ones, so
      // drift in time or load falls on both alike and every pair of answers is taken side by side.
      const interleaved = warmCalls.flatMap((call) =>
        (call.run % 2 === 1 ? sessions : [...sessions].reverse()).map((session) => ({ session, call })),
      );
      // Once cancelled, queued calls return at once (execute checks the signal) and in-flight ones abort.
      // Timed runs first, at the latency concurrency; then quality-only runs at full concurrency.
      await runLimited(
        interleaved.filter(({ call }) => call.timed),
        plan.settings.latencyConcurrency,
      );
      await runLimited(
        interleaved.filter(({ call }) => !call.timed),
        plan.settings.concurrency,
      );
    }
  }

  try {
    await runGroups();
  } finally {
    recordings.finish();
  }
  result.cancelled = signal.aborted;
  return result;
}

/**
 * Recording a sample — scoring the answer, the sample log, progress — costs the client a few tenths
 * of a millisecond. For calls made one at a time it waits until the next call's request, body
 * included, is on the wire, so that a fast server is not kept waiting on the client, and the
 * request reaches the server as soon as it would have without it; the server then still has to
 * read it and answer. Without a next request it waits at most FALLBACK_MS (or until now() or
 * finish()). Samples keep their order: recording one at once first records those waiting. An
 * error in a recording is thrown again by now() or finish(), which the run ends with.
 */
function recordingQueue() {
  const FALLBACK_MS = 250;
  const waiting: (() => void)[] = [];
  let fallback: NodeJS.Timeout | null = null;
  let failure: { error: unknown } | null = null;
  const flush = () => {
    if (fallback) clearTimeout(fallback);
    fallback = null;
    for (const record of waiting.splice(0)) {
      try {
        record();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const rethrow = () => {
    if (failure) throw failure.error;
  };
  return {
    defer(record: () => void) {
      waiting.push(record);
      if (fallback) return;
      fallback = setTimeout(flush, FALLBACK_MS).unref();
      whenNextRequestSent(flush);
    },
    now(record: () => void) {
      waiting.push(record);
      flush();
      rethrow();
    },
    finish() {
      flush();
      rethrow();
    },
  };
}

/**
 * Runs the calls with at most `limit` in flight. One at a time (the default for timed calls) is a
 * plain loop: a queue's promise hops between two calls are time the server waits for the client.
 */
async function runLimited(
  calls: readonly { session: { execute: (call: PlannedCall) => Promise<void> }; call: PlannedCall }[],
  limit: number,
): Promise<void> {
  if (limit === 1) {
    for (const { session, call } of calls) await session.execute(call);
    return;
  }
  const limited = pLimit(limit);
  await Promise.all(calls.map(({ session, call }) => limited(() => session.execute(call))));
}

/**
 * The messages of a scenario's call. A scenario with its own prompt (a command to route, a question
 * about the image) sends it as the user message, the suite's prompt as the system message. For
 * servers without native tool calling (tool-mode json), the tools are described in that system
 * message and the model answers {"tool", "arguments"} as JSON.
 */
export function messagesFor(
  suite: Suite,
  scenario: Scenario,
  target: Pick<Target, 'toolMode'>,
): { system?: string; prompt: string } {
  const toolsInPrompt = suite.tools?.length && target.toolMode === 'json' ? `\n\n${toolsAsText(suite.tools)}` : '';
  if (!scenario.prompt) return { prompt: `${suite.prompt}${toolsInPrompt}` };
  return { system: `${suite.prompt}${toolsInPrompt}`, prompt: scenario.prompt };
}

function toolsAsText(tools: readonly ToolDefinition[]): string {
  const lines = tools.map(
    (tool) => `- ${tool.name}: ${tool.description} Arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`,
  );
  return [
    'You can call one of these tools:',
    ...lines,
    'Answer ONLY with JSON of this form: {"tool": "<tool name>", "arguments": {<arguments>}}',
  ].join('\n');
}
