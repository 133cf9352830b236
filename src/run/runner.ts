// Runs a suite against each target: preflight, one cold call timed apart, then warm runs of every
// scenario at the configured concurrency, with per-call timeouts and cancellation.
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Plan, RunSettings, Target } from '../config/schema.js';
import type { CallOutcome, ChatRequest, ColdStartNote, Endpoint, PreflightResult } from '../endpoint/types.js';
import { UNANSWERED, zeroScores, type AnswerScorer } from '../score/answer.js';
import { routedCall } from '../score/tool-call.js';
import type { Scenario, Suite, ToolDefinition } from '../suite/schema.js';
import { newRequestId, whenNextRequestSent } from '../endpoint/stream-timing.js';
import { makeServerCold } from './cold-start.js';
import { backoff, RetryBudget, type RetrySummary } from './retry.js';
import { toSample, type Sample } from './sample.js';
import { defined } from '../lib/defined.js';
import { keyDiagnosis } from '../endpoint/diagnose.js';
import { ServerWatch, WENT_AWAY, type Outage } from './server-watch.js';
import type { ServerPool } from './server-process.js';

/** Calls in a row that timed out or failed to connect, on a server that answers its health check, before the target stops. */
export const MAX_CONSECUTIVE_UNREACHABLE = 5;
const UNREACHABLE = new Set(['timeout', 'connection-refused', 'connection']);
/** Errors that carry the server's refusal of an image part. */
const IMAGE_REFUSAL_CLASSES = new Set(['http-400', 'http-415', 'http-422', 'http-500', 'http-501']);
/**
 * How servers say a model takes no images: llama.cpp "image input is not supported", vLLM "is not a
 * multimodal model" or "At most 0 image(s)", Ollama "does not support images". An error that only
 * mentions an image (too large, out of memory while encoding it) is not a refusal.
 */
const IMAGE_REFUSAL =
  /\b(image input is not supported|not a multimodal model|at most 0 image|(does not|doesn't|do not) support (image|vision|multimodal)|(image|vision|multimodal)[^.]{0,40}(not supported|unsupported)|mmproj)/i;

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
  /** Times the server stopped answering during the run, ridden out or not. */
  outages: Outage[];
  /** The last lines of the server's output, where model-gate started it and it failed. */
  serverLog?: string;
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
  /** What the run has to say while it waits on a server (down mid-run, hung). */
  onNotice?: (message: string) => void;
  /** The servers model-gate starts for targets with server.start (kept across passes, stopped by the caller). */
  servers?: ServerPool;
}

interface PlannedCall {
  scenario: Scenario;
  run: number;
  phase: Sample['phase'];
  /** Runs at the latency concurrency and counts for latency. */
  timed: boolean;
}

/** Warm calls a run times for latency, at least: suites smaller than this repeat their scenarios. */
export const LATENCY_SAMPLES = 27;
/** Timed calls of a suite that runs once at a concurrency above the latency concurrency: a p95's worth. */
export const SPLIT_TIMED_CALLS = 60;

/**
 * Warm runs when warm-runs is not given. At temperature 0 a scenario asked again gives the same
 * answer, so repeats add latency samples and no quality evidence: a suite repeats only until it has
 * LATENCY_SAMPLES warm calls.
 */
export const defaultWarmRuns = (scenarios: number) => Math.max(1, Math.ceil(LATENCY_SAMPLES / Math.max(1, scenarios)));

/**
 * Warm calls go run by run (every scenario once, then again), so slow drift hits all scenarios
 * alike. With a concurrency above the latency concurrency, the first latency-runs runs are timed
 * at the latency concurrency (of a suite that runs once, its first 60 calls); the rest count for
 * quality only and go fast.
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
  // A large suite runs once, so "the first latency-runs runs" would be every call: then only its
  // first SPLIT_TIMED_CALLS calls are timed (enough for a p95) and the rest go at full concurrency.
  const timedCalls = split && settings.warmRuns <= settings.latencyRuns ? SPLIT_TIMED_CALLS : Infinity;
  let warm = 0;
  for (let run = 1; run <= settings.warmRuns; run += 1) {
    for (const scenario of suite.scenarios) {
      const timed = confirmation !== undefined || !split || (run <= settings.latencyRuns && warm < timedCalls);
      warm += 1;
      calls.push({ scenario, run: offset + run, phase: confirmation ? 'confirm' : 'warm', timed });
    }
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

/** What every target's session of one run shares. */
interface RunContext {
  options: RunOptions;
  calls: readonly PlannedCall[];
  /** Each scenario's image as a data: URL, made once per run. */
  dataUrls: ReadonlyMap<string, string | null>;
  recordings: RecordingQueue;
}

const CONFIRMATION_PREFLIGHT: PreflightResult = { ok: true, diagnosis: null, servedModels: [], serverVersion: null };

/** Whether a call goes out alone (concurrency 1 in its phase): its recording then waits for the next request. */
const goesAlone = (call: PlannedCall, settings: RunSettings) =>
  (call.timed ? settings.latencyConcurrency : settings.concurrency) === 1;

/**
 * One target's part of a run: its preflight and cold state (open), then its calls (execute), each
 * recorded as a sample. It stops the target when the endpoint stops answering.
 */
class TargetSession {
  private done = 0;
  private unreachableInARow = 0;
  // Stopping a target aborts its calls in flight, as cancelling the run would, and skips the rest.
  private readonly stopTarget = new AbortController();
  private readonly callSignal: AbortSignal;
  private readonly retryBudget: RetryBudget;
  private readonly nativeTools: readonly ToolDefinition[] | null;
  private readonly watch: ServerWatch;
  private answered = 0;

  private constructor(
    private readonly run: RunContext,
    private readonly endpoint: Endpoint,
    readonly targetRun: TargetRun,
  ) {
    const { plan, suite, signal } = run.options;
    this.callSignal = AbortSignal.any([signal, this.stopTarget.signal]);
    setMaxListeners(Math.max(10, 2 * plan.settings.concurrency + 10), this.callSignal);
    this.nativeTools = suite.tools?.length && targetRun.target.toolMode === 'native' ? suite.tools : null;
    this.retryBudget = new RetryBudget(run.calls.length, plan.settings.retries);
    targetRun.retries = this.retryBudget.summary;
    const managed = run.options.servers?.get(targetRun.target);
    const gone = managed ? () => managed.gone() : undefined;
    this.watch = new ServerWatch({
      target: targetRun.target,
      url: endpoint.readinessUrl,
      readyTimeoutMs: plan.settings.readyTimeoutMs,
      notify: run.options.onNotice ?? (() => undefined),
      ...(gone ? { gone } : {}),
    });
    targetRun.outages = this.watch.outages;
  }

  /** Preflight and cold state; null when the target cannot be measured, which its TargetRun says. */
  static async open(run: RunContext, target: Target, into: TargetRun[]): Promise<TargetSession | null> {
    const { options, calls } = run;
    const endpoint = options.endpointFor(target);
    const started = options.confirmation ? null : await startServer(options, target, endpoint);
    const preflight = options.confirmation
      ? CONFIRMATION_PREFLIGHT
      : started?.ok === false
        ? { ok: false, diagnosis: started.diagnosis, servedModels: [], serverVersion: null }
        : await endpoint.preflight(options.signal, options.onNotice);
    options.onPreflight?.(target, preflight);
    const targetRun: TargetRun = {
      target,
      preflight,
      coldStart: null,
      retries: null,
      plannedCalls: calls.length,
      samples: [],
      stopped: null,
      outages: [],
      ...(options.keepAnswers ? { answers: new Map<string, string>() } : {}),
    };
    into.push(targetRun);
    if (!preflight.ok) return null;
    if (calls[0]?.phase === 'cold') {
      try {
        targetRun.coldStart = await makeServerCold(target, endpoint, options.signal);
      } catch (error) {
        // A reset that fails leaves nothing to measure honestly: the target stops here, said why.
        const diagnosis = error instanceof Error ? error.message : String(error);
        targetRun.preflight = { ...preflight, ok: false, diagnosis };
        return null;
      }
    }
    return new TargetSession(run, endpoint, targetRun);
  }

  async execute(call: PlannedCall, attempt = 1): Promise<void> {
    if (this.callSignal.aborted) return;
    const { options, calls, recordings } = this.run;
    const startedAt = new Date().toISOString();
    const requestId = newRequestId();
    const outcome = await this.endpoint.call(this.chatRequest(call, requestId));
    if (outcome.errorClass === 'cancelled') return;
    if (this.stopTarget.signal.aborted && !options.signal.aborted) return;
    const fatal = this.fatalCause(call, outcome);
    // A failure that looks like the server going away waits for it first: whether the call goes
    // again depends on whether it came back.
    const back =
      fatal === null && outcome.errorClass !== null && WENT_AWAY.has(outcome.errorClass)
        ? await this.watch.awaitReturn(this.failureText(outcome), options.signal)
        : null;
    const retried =
      fatal === null &&
      !options.signal.aborted &&
      back !== 'gone' &&
      // Calls an outage interrupted go again whatever the run's retry budget says: the outage is reported.
      this.retryBudget.take(outcome.errorClass, attempt, { outage: back === 'returned' });
    if (!retried) this.done += 1;
    if (outcome.errorClass === null) this.answered += 1;
    const progress = { target: this.targetRun.target.name, done: this.done, total: calls.length };
    const record = () => {
      this.record({ call, attempt, retried, startedAt, requestId, outcome }, progress);
    };
    // A call that went out alone is recorded once the next call's request is out (recordingQueue);
    // a failed one at once, since what follows depends on it.
    if (outcome.errorClass === null && goesAlone(call, options.plan.settings)) recordings.defer(record);
    else recordings.now(record);
    if (fatal) {
      this.stop(fatal);
      return;
    }
    if (options.signal.aborted) return;
    if (back === 'gone') {
      this.stop(this.goneText());
      return;
    }
    if (back === 'returned') {
      // Back from an outage, the call goes again at once; without a retry left it is lost to it.
      this.unreachableInARow = 0;
      if (retried) await this.execute(call, attempt + 1);
      else this.watch.lost();
      return;
    }
    if (retried) {
      if (await backoff(attempt, options.signal)) await this.execute(call, attempt + 1);
      return;
    }
    if (outcome.errorClass === 'timeout') {
      const hung = await this.watch.hung(options.signal);
      if (hung !== null && !this.stopped()) {
        this.stop(
          `Target "${this.targetRun.target.name}": a call got no complete answer within ${options.plan.settings.timeoutMs / 1000} s, and the server then did not answer a health check either (GET ${this.endpoint.readinessUrl}: ${hung}): it is hung, so its remaining ${calls.length - this.done} calls were not made. A server stopped with SIGTERM while answering can hang this way; check its log. The samples taken are in the report.`,
        );
        return;
      }
    }
    this.noteReachability(outcome.errorClass);
  }

  /** The run cancelled or the target stopped, as it may have been during any await. */
  private stopped(): boolean {
    return this.callSignal.aborted;
  }

  private failureText(outcome: CallOutcome): string {
    return `${outcome.errorClass}${outcome.errorMessage ? `: ${outcome.errorMessage.slice(0, 160)}` : ''}`;
  }

  private goneText(): string {
    const { target } = this.targetRun;
    const outage = defined(this.watch.outages.at(-1), 'the outage');
    return `Target "${target.name}": the server stopped answering after ${this.answered} successful calls (${outage.cause}) and did not come back within ${this.run.options.plan.settings.readyTimeoutMs / 1000} s (ready-timeout), so its remaining ${this.run.calls.length - this.done} calls were not made. The samples taken are in the report.`;
  }

  /**
   * A failure that no retry or later call can change stops the target at once: a refused key
   * before any call succeeded, or a server that does not take images, asked for one.
   */
  private fatalCause(call: PlannedCall, outcome: CallOutcome): string | null {
    const { errorClass, errorMessage } = outcome;
    const { target } = this.targetRun;
    if ((errorClass === 'http-401' || errorClass === 'http-403') && this.answered === 0)
      return `${keyDiagnosis(target, errorClass === 'http-401' ? 401 : 403, 'the first chat call')} The target stopped there; its model list needed no key, so the preflight could not tell.`;
    if (
      errorClass !== null &&
      IMAGE_REFUSAL_CLASSES.has(errorClass) &&
      this.run.dataUrls.get(call.scenario.id) &&
      IMAGE_REFUSAL.test(errorMessage ?? '')
    ) {
      const suite = this.run.options.suite;
      return `Target "${target.name}": the server does not take images (${errorClass}: ${(errorMessage ?? '').slice(0, 160)}), and suite "${suite.id}" sends them, so the target stopped at its first image instead of failing every call. Serve a vision model (llama.cpp: start llama-server with --mmproj and the model's projector file; vLLM and Ollama: a vision-language model), or run a text suite such as voice-commands.`;
    }
    return null;
  }

  /** Stops the target's calls, saying why; the first reason stands. */
  private stop(reason: string): void {
    if (this.targetRun.stopped) return;
    this.targetRun.stopped = reason;
    this.stopTarget.abort();
  }

  private chatRequest(call: PlannedCall, requestId: string): ChatRequest {
    const { suite } = this.run.options;
    return {
      ...messagesFor(suite, call.scenario, this.targetRun.target),
      imageDataUrl: this.run.dataUrls.get(call.scenario.id) ?? null,
      outputSchema: suite.output.schema,
      signal: this.callSignal,
      requestId,
      ...(this.nativeTools ? { tools: this.nativeTools } : {}),
    };
  }

  private record(
    attempt: {
      call: PlannedCall;
      attempt: number;
      retried: boolean;
      startedAt: string;
      requestId: string;
      outcome: CallOutcome;
    },
    progress: Progress,
  ): void {
    const { options } = this.run;
    const { suite } = options;
    const { call, outcome } = attempt;
    const answered = outcome.errorClass === null;
    // An unanswered call scores zero on what the scenario scores, as a failed call misses an anomaly.
    const score = answered
      ? options.scoreAnswer({ text: outcome.text, toolCalls: outcome.toolCalls }, call.scenario)
      : { ...UNANSWERED, scores: zeroScores(suite, call.scenario) };
    const tool =
      suite.scorer.kind === 'tool-call' && answered ? routedCall(outcome.text, outcome.toolCalls).tool : null;
    const sample = toSample({
      ...attempt,
      target: this.targetRun.target.name,
      scenario: call.scenario,
      run: call.run,
      phase: call.phase,
      timed: call.timed,
      score,
      tool,
      nativeTools: this.nativeTools !== null,
    });
    this.targetRun.samples.push(sample);
    if (this.targetRun.answers && answered && call.phase === 'warm')
      this.targetRun.answers.set(
        `${call.scenario.id}#${call.run}`,
        outcome.toolCalls?.length ? sample.excerpt : outcome.text,
      );
    options.onSample(sample, progress);
  }

  /** After MAX_CONSECUTIVE_UNREACHABLE calls in a row found nothing or timed out, the target stops. */
  private noteReachability(errorClass: string | null): void {
    this.unreachableInARow = errorClass !== null && UNREACHABLE.has(errorClass) ? this.unreachableInARow + 1 : 0;
    if (this.unreachableInARow < MAX_CONSECUTIVE_UNREACHABLE || this.targetRun.stopped) return;
    // now() recorded this failure after every call before it: the samples are complete here.
    const { samples, target } = this.targetRun;
    const last = defined(samples.at(-1), 'the failed sample');
    const what = last.errorClass === 'timeout' ? 'timed out' : 'found nothing listening';
    const succeeded = samples.filter((entry) => entry.errorClass === null).length;
    this.stop(
      `Target "${target.name}": ${MAX_CONSECUTIVE_UNREACHABLE} calls in a row ${what} (${last.errorMessage ?? last.errorClass}), so its remaining ${this.run.calls.length - this.done} calls were not made: the endpoint stopped answering after ${succeeded} successful calls. The samples taken are in the report.`,
    );
  }
}

/** Starts the target's server where it has server.start (once per run), and waits until it answers. */
async function startServer(
  options: RunOptions,
  target: Target,
  endpoint: Endpoint,
): Promise<{ ok: true } | { ok: false; diagnosis: string } | null> {
  const { servers } = options;
  if (!target.server || !servers || servers.get(target)) return null;
  const server = servers.start({ ...target, server: target.server });
  const ready = await server.waitReady(
    endpoint.readinessUrl,
    options.plan.settings.readyTimeoutMs,
    options.signal,
    options.onNotice ?? (() => undefined),
  );
  return ready.ok ? { ok: true } : { ok: false, diagnosis: ready.diagnosis };
}

/** One group of targets (one, or a compared pair): the cold calls alone, then the warm calls interleaved. */
async function runGroup(run: RunContext, group: readonly Target[], into: TargetRun[]): Promise<void> {
  const { options, calls } = run;
  const sessions: TargetSession[] = [];
  for (const target of group) {
    // Aborted while the previous target's session opened (the types see only the first pass).
    if (options.signal.aborted) return;
    const session = await TargetSession.open(run, target, into);
    if (session) sessions.push(session);
  }
  if (sessions.length === 0) return;
  const cold = calls[0]?.phase === 'cold' ? calls[0] : null;
  // The cold call runs alone: nothing else may warm the server before it is timed.
  if (cold) for (const session of sessions) await session.execute(cold);
  const warmCalls = cold ? calls.slice(1) : calls;
  // Compared targets alternate call by call, A then B on odd runs and B then A on even ones, so
  // drift in time or load falls on both alike and every pair of answers is taken side by side.
  const interleaved = warmCalls.flatMap((call) =>
    (call.run % 2 === 1 ? sessions : [...sessions].reverse()).map((session) => ({ session, call })),
  );
  // Once cancelled, queued calls return at once (execute checks the signal) and in-flight ones abort.
  // Timed runs first, at the latency concurrency; then quality-only runs at full concurrency.
  const { settings } = options.plan;
  await runLimited(
    interleaved.filter(({ call }) => call.timed),
    settings.latencyConcurrency,
  );
  await runLimited(
    interleaved.filter(({ call }) => !call.timed),
    settings.concurrency,
  );
}

/** Fills `result` as it goes, so a caller whose run throws midway still holds every sample taken. */
export async function runSuite(
  options: RunOptions,
  result: RunResult = { targets: [], cancelled: false },
): Promise<RunResult> {
  const { plan, suite, signal } = options;
  // Every call in flight listens to the run's signal: more than Node's default of 10 is expected.
  setMaxListeners(Math.max(10, 2 * plan.settings.concurrency + 10), signal);
  const run: RunContext = {
    options,
    calls: plannedCalls(suite, plan.settings, options.confirmation),
    dataUrls: new Map(
      suite.scenarios.map((scenario) => [
        scenario.id,
        scenario.image ? `data:${scenario.image.mediaType};base64,${scenario.image.bytes.toString('base64')}` : null,
      ]),
    ),
    recordings: recordingQueue(),
  };
  try {
    for (const group of targetGroups(plan.targets)) {
      if (signal.aborted) break;
      await runGroup(run, group, result.targets);
    }
  } finally {
    // The samples of calls made alone are recorded here at the latest.
    run.recordings.finish();
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
type RecordingQueue = ReturnType<typeof recordingQueue>;

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
  calls: readonly { session: TargetSession; call: PlannedCall }[],
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
