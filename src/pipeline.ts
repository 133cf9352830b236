// The one place that wires the stages: config → suite → run → measure → thresholds → report.
// It never throws for a user's mistake: whatever happens, a report is written and returned.
import { join } from 'node:path';
import { median } from 'simple-statistics';
import { loadConfigFile, resolvePlan, type InputNamer, type RawInputs } from './config/load.js';
import { DEFAULT_REPORT_DIR, mergesShards, writesBaselines, type Plan, type Target } from './config/schema.js';
import { createEndpoint } from './endpoint/index.js';
import type { PreflightResult } from './endpoint/types.js';
import { displayUrl } from './endpoint/url.js';
import { configError, errorMessage, ModelGateError } from './lib/errors.js';
import {
  baselinePath,
  baselineRun,
  incomparableReason,
  readBaseline,
  withRun,
  writeBaseline,
} from './gate/baseline.js';
import {
  decideWithConfirmation,
  formatP,
  scenariosOfMetric,
  type CurrentRun,
  type MetricVerdict,
  type TargetComparison,
} from './gate/rules.js';
import { checkThresholds, type ThresholdCheck } from './gate/thresholds.js';
import {
  computeMetrics,
  measureTarget,
  scenarioOutcomes,
  scenarioPasses,
  type ScenarioOutcome,
} from './measure/metrics.js';
import { METRICS } from './metric-catalog.js';
import { writeTrendCharts } from './report/charts.js';
import { loadSharp } from './lib/sharp.js';
import { commentBody } from './report/comment.js';
import { summaryLine, summaryMarkdown } from './report/markdown.js';
import {
  COMMENT_FILE,
  JUNIT_FILE,
  REPORT_FILE,
  REPORT_SCHEMA_VERSION,
  SAMPLES_FILE,
  SUMMARY_FILE,
  writeReportFiles,
  type Report,
  type TargetReport,
  type Verdict,
} from './report/report.js';
import { runSuite, type Progress, type RunResult, type TargetRun } from './run/runner.js';
import type { Sample } from './run/sample.js';
import { openSampleLog, type SampleLog } from './run/sample-log.js';
import { compileAnswerScorer } from './score/answer.js';
import { loadSuite } from './suite/load.js';
import type { Comparison } from './compare/paired.js';
import { costOf, runComparisons } from './compare/run-comparisons.js';
import type { Suite } from './suite/schema.js';
import { mergeShards } from './shard/merge.js';
import { expectedCosts, shardSlices, type ShardSpec } from './shard/slice.js';
import { round } from './lib/round.js';
import { defined } from './lib/defined.js';

const NOTABLE_SAMPLES_PER_TARGET = 20;

/** The hidden marker that finds a run's earlier pull-request comment again. */
export const commentMarkerFor = (key: string) => `<!-- model-gate:${key.replace(/-->/g, '')} -->`;

export interface RunLogger {
  info(line: string): void;
  warn(line: string): void;
  debug(line: string): void;
}

export interface RunRequest {
  inputs: RawInputs;
  configPath: string;
  /** The user named the config file, so its absence is an error rather than "no config". */
  configRequired: boolean;
  env: RawInputs;
  nameOf: InputNamer;
  signal: AbortSignal;
  toolVersion: string;
  log: RunLogger;
  onSample?: (sample: Sample, progress: Progress) => void;
  onPreflight?: (target: Target, result: PreflightResult) => void;
  /** Hidden marker and run link for comment.md (the pull-request comment body). */
  comment?: { marker: string; runUrl: string | null };
  /** mode merge: the folder holding the shards' reports; the action downloads them there first. */
  fetchShards?: (suite: Suite) => Promise<string>;
  /** After a shard's report is written: hands its files on (the action uploads them as an artifact). */
  publishShard?: (files: { reportDir: string; names: string[] }, suite: Suite, shard: ShardSpec) => Promise<void>;
  /** Called once the plan is known, with the number of calls it will make. */
  onPlan?: (plan: Plan, suite: Suite, totalCalls: number) => void;
}

export interface RunOutcome {
  report: Report;
  reportPath: string;
  reportDir: string;
  summaryMarkdown: string;
  summaryLine: string;
  commentMarkdown: string;
}

/** Replaces every occurrence of a secret with *** (some servers echo the key in their errors). */
function redactor(secrets: readonly string[]): (text: string) => string {
  const active = secrets.filter((secret) => secret.length >= 4);
  return (text) => active.reduce((result, secret) => result.split(secret).join('***'), text);
}

function notableSamples(
  samples: readonly Sample[],
  primary: Suite['scenarios'][number]['primaryScore'],
): TargetReport['notableSamples'] {
  const seen = new Set<string>();
  const notable: TargetReport['notableSamples'] = [];
  for (const sample of samples) {
    if (sample.phase !== 'warm') continue;
    const problem: TargetReport['notableSamples'][number]['problem'] | null =
      sample.errorClass !== null
        ? 'error'
        : !sample.jsonValid
          ? 'invalid-json'
          : !sample.schemaValid
            ? 'schema-invalid'
            : sample.anomaly === true && !sample.detected
              ? 'missed'
              : sample.anomaly === false && sample.flagged
                ? 'false-positive'
                : primary && (sample.scores[primary.name] ?? 1) < primary.threshold
                  ? 'low-score'
                  : null;
    if (!problem || seen.has(`${sample.scenario}/${problem}`)) continue;
    seen.add(`${sample.scenario}/${problem}`);
    notable.push({
      scenario: sample.scenario,
      run: sample.run,
      problem,
      excerpt: sample.excerpt,
      errorClass: sample.errorClass,
      errorMessage: sample.errorMessage,
    });
    if (notable.length >= NOTABLE_SAMPLES_PER_TARGET) break;
  }
  return notable;
}

function targetReport(run: TargetRun, suite: Suite): TargetReport {
  const measured = run.preflight.ok && run.samples.length > 0;
  return {
    name: run.target.name,
    kind: run.target.kind,
    baseUrl: displayUrl(run.target.baseUrl),
    model: run.target.model,
    jsonMode: run.target.jsonMode,
    preflight: run.preflight,
    coldStart: run.coldStart,
    retries: run.retries,
    serverTimings: serverTimingsSummary(run.samples),
    stopped: run.stopped,
    plannedCalls: run.plannedCalls,
    completedCalls: run.samples.filter((sample) => sample.phase !== 'confirm' && !sample.retried).length,
    confirmationCalls: run.samples.filter((sample) => sample.phase === 'confirm').length,
    measurement: measured ? measureTarget(run.samples, suite.scenarios) : null,
    cost: null,
    flips: [],
    trends: {},
    notableSamples: notableSamples(run.samples, suite.scenarios[0]?.primaryScore),
  };
}

function serverTimingsSummary(samples: readonly Sample[]): TargetReport['serverTimings'] {
  const reported = samples.flatMap((sample) =>
    sample.phase === 'warm' && sample.timed && sample.errorClass === null && sample.serverTimings !== null
      ? [sample.serverTimings]
      : [],
  );
  const cold = samples.find((sample) => sample.phase === 'cold' && sample.serverTimings !== null)?.serverTimings;
  const first = reported[0] ?? cold;
  if (!first) return null;
  const medianOf = (values: (number | null)[]) => {
    const present = values.filter((value): value is number => value !== null);
    return present.length === 0 ? null : round(median(present));
  };
  return {
    source: first.source,
    calls: reported.length,
    promptMsP50: medianOf(reported.map((timings) => timings.promptMs)),
    decodeMsP50: medianOf(reported.map((timings) => timings.decodeMs)),
    coldLoadMs: cold?.loadMs ?? null,
  };
}

function mostCommonError(samples: readonly Sample[]): string {
  const counts = new Map<string, { count: number; message: string }>();
  for (const sample of samples) {
    if (!sample.errorClass) continue;
    const entry = counts.get(sample.errorClass) ?? { count: 0, message: sample.errorMessage ?? '' };
    entry.count += 1;
    counts.set(sample.errorClass, entry);
  }
  const [errorClass, entry] = [...counts].sort((a, b) => b[1].count - a[1].count)[0] ?? [
    'unknown',
    { count: 0, message: '' },
  ];
  return `${errorClass}${entry.message ? ` (${entry.message.slice(0, 160)})` : ''}`;
}

interface Decision {
  status: Report['status'];
  verdict: Verdict;
  verdictReason: string;
}

interface GateOutcome {
  verdicts: MetricVerdict[];
  baselines: Report['baselines'];
  confirmed: boolean;
  flips: Record<string, TargetReport['flips']>;
  trends: Record<string, TargetReport['trends']>;
}

function flipsSince(before: readonly ScenarioOutcome[], now: readonly ScenarioOutcome[]): TargetReport['flips'] {
  return now.flatMap((outcome) => {
    const earlier = before.find((entry) => entry.scenario === outcome.scenario);
    if (!earlier || outcome.runs === 0 || scenarioPasses(earlier) === scenarioPasses(outcome)) return [];
    return [{ scenario: outcome.scenario, before: scenarioPasses(earlier), now: scenarioPasses(outcome) }];
  });
}

function describeRegression(verdict: MetricVerdict): string {
  const unit = verdict.changeUnit === 'points' ? ' points' : ' %';
  const change =
    verdict.change === null
      ? ''
      : ` ${verdict.change > 0 ? '+' : verdict.change < 0 ? '−' : '±'}${Math.abs(verdict.change)}${unit}`;
  return `${METRICS[verdict.metric].label}${change} on ${verdict.target} (p = ${formatP(verdict.pValue ?? 1)})`;
}

function decide(
  plan: Plan | undefined,
  run: RunResult | undefined,
  error: ModelGateError | undefined,
  checks: readonly ThresholdCheck[],
  gate: GateOutcome,
): Decision {
  if (run?.cancelled || error?.kind === 'cancelled') {
    const taken = run?.targets.reduce((sum, target) => sum + target.samples.length, 0) ?? 0;
    return {
      status: 'cancelled',
      verdict: 'error',
      verdictReason: `The run was cancelled after ${taken} calls; the report holds the samples taken so far.`,
    };
  }
  if (error || !plan || !run)
    return { status: 'failed', verdict: 'error', verdictReason: error?.message ?? 'The run did not start.' };
  const unreachable = run.targets.filter((target) => !target.preflight.ok);
  if (unreachable.length > 0) {
    return {
      status: 'partial',
      verdict: 'error',
      verdictReason: unreachable.map((target) => target.preflight.diagnosis).join(' '),
    };
  }
  const stopped = run.targets.filter((target) => target.stopped);
  if (stopped.length > 0)
    return { status: 'partial', verdict: 'error', verdictReason: stopped.map((target) => target.stopped).join(' ') };
  const silent = run.targets.filter(
    (target) => !target.samples.some((sample) => sample.phase === 'warm' && sample.errorClass === null),
  );
  if (silent.length > 0) {
    return {
      status: 'complete',
      verdict: 'error',
      verdictReason: silent
        .map((target) => `No call to target "${target.target.name}" succeeded: ${mostCommonError(target.samples)}.`)
        .join(' '),
    };
  }
  const prose = run.targets.filter((target) => {
    const answered = target.samples.filter((sample) => sample.phase === 'warm' && sample.errorClass === null);
    return answered.length > 0 && answered.every((sample) => !sample.jsonValid);
  });
  if (prose.length > 0) {
    return {
      status: 'complete',
      verdict: 'error',
      verdictReason: prose
        .map(
          (target) =>
            `No answer from target "${target.target.name}" was valid JSON (${target.samples.filter((sample) => sample.phase === 'warm').length} answers; see "Calls worth a look" in the summary). The server may ignore response_format (try json-mode json_schema or none), or the model does not follow the output format.`,
        )
        .join(' '),
    };
  }
  if (plan.shard) {
    const scenarios =
      run.targets[0]?.samples.filter((sample) => sample.phase === 'warm').map((sample) => sample.scenario) ?? [];
    return {
      status: 'complete',
      verdict: 'pass',
      verdictReason: `Shard ${plan.shard.index} of ${plan.shard.count}: ${new Set(scenarios).size} scenarios measured; the merge job (mode: merge) gates all shards together.`,
    };
  }
  const failed = checks.filter((check) => !check.passed);
  const regressed = gate.verdicts.filter((verdict) => verdict.status === 'regressed');
  if (failed.length > 0 || regressed.length > 0) {
    const parts = [
      ...(regressed.length > 0
        ? [
            `${regressed.length} regression${regressed.length === 1 ? '' : 's'} beyond margin and noise: ${regressed.map(describeRegression).join('; ')}`,
          ]
        : []),
      ...(failed.length > 0
        ? [
            `${failed.length} of ${checks.length} thresholds not met: ${failed.map((check) => `${check.reason} on ${check.target}`).join('; ')}`,
          ]
        : []),
    ];
    return { status: 'complete', verdict: 'fail', verdictReason: `${parts.join('. ')}.` };
  }
  const incomparable = gate.baselines.filter((entry) => entry.status === 'incomparable');
  if (incomparable.length > 0)
    return {
      status: 'complete',
      verdict: 'incomparable',
      verdictReason: incomparable.map((entry) => entry.reason).join(' '),
    };
  const missing = gate.baselines.filter((entry) => entry.status === 'missing');
  if (missing.length > 0) {
    return {
      status: 'complete',
      verdict: 'no-baseline',
      verdictReason: `No baseline for ${missing.map((entry) => `target "${entry.target}" (${entry.path})`).join(', ')}: nothing to compare with, so nothing is gated but the thresholds. Write one with mode: baseline (CLI: model-gate baseline) and commit it.`,
    };
  }
  const written = gate.baselines.filter((entry) => entry.status === 'written');
  if (written.length > 0 && writesBaselines(plan.gate.mode)) {
    const notes = written
      .filter((entry) => entry.reason)
      .map((entry) => ` ${entry.path}: ${entry.reason}.`)
      .join('');
    return {
      status: 'complete',
      verdict: 'pass',
      verdictReason: `Baseline written: ${written.map((entry) => `${entry.path} (${entry.runs} run${entry.runs === 1 ? '' : 's'} kept)`).join(', ')}. Commit it so that pull requests are gated against it.${notes}`,
    };
  }
  const gated = gate.verdicts.filter((verdict) => verdict.pValue !== null).length;
  const thresholdText = checks.length > 0 ? ` All ${checks.length} thresholds met.` : '';
  const historyText =
    written.length > 0
      ? ` This run was added to the baseline history: ${written.map((entry) => `${entry.path} (${entry.runs} runs kept)`).join(', ')}; commit it.`
      : '';
  return {
    status: 'complete',
    verdict: 'pass',
    verdictReason: `No regression: ${gated} gated metrics within their margins or within noise (run-wide false-alarm rate ${plan.gate.alpha * 100} %).${thresholdText}${historyText}`,
  };
}

/** What the gate decides on: warm and confirmation calls together, the report's metrics unchanged. */
function currentRunOf(samples: readonly Sample[], suite: Suite): CurrentRun {
  const asWarm = samples.map((sample) => (sample.phase === 'confirm' ? { ...sample, phase: 'warm' as const } : sample));
  return { scenarios: scenarioOutcomes(asWarm, suite.scenarios), samples: asWarm, metrics: computeMetrics(samples) };
}

function asModelGateError(error: unknown, log: RunLogger): ModelGateError {
  if (error instanceof ModelGateError) return error;
  log.debug(error instanceof Error && error.stack ? error.stack : String(error));
  return new ModelGateError(
    'report',
    `Unexpected internal error: ${errorMessage(error)}. This is a bug in model-gate; please report it with the log (run with debug logging for the stack).`,
  );
}

interface GateContext {
  startedAt: string;
  /** How many shards the run was merged from (1 when it was not sharded). */
  shards: number;
  toolVersion: string;
  signal: AbortSignal;
  /** Runs more warm calls of some scenarios for one target (the confirmation pass). */
  confirmPass: (subset: Suite, target: Target) => Promise<RunResult>;
}

/** Baseline mode writes each measured target's baseline; gate mode compares with them and decides. */
async function applyBaselines(plan: Plan, suite: Suite, run: RunResult, context: GateContext): Promise<GateOutcome> {
  const measured = run.targets.filter(
    (target) =>
      target.preflight.ok && target.samples.some((sample) => sample.phase === 'warm' && sample.errorClass === null),
  );
  const identityOf = (target: Target) => ({
    suite: { id: suite.id, version: suite.version, fingerprint: suite.fingerprint },
    target: { name: target.name, kind: target.kind },
    // The tool mode changes what a routing suite asks, so it is part of what a baseline was measured with.
    // Shards share the endpoint (or run on other runners): latency from n shards is comparable only with n shards.
    settings: {
      ...plan.settings,
      jsonMode: target.jsonMode,
      ...(suite.tools?.length ? { toolMode: target.toolMode } : {}),
      ...(context.shards > 1 ? { shards: context.shards } : {}),
    },
  });
  const baselines: Report['baselines'] = [];

  const writeBaselines = (targetRuns: readonly TargetRun[]) => {
    for (const targetRun of targetRuns) {
      const path = baselinePath(plan.gate.baselineDir, suite.id, targetRun.target.name);
      let existing;
      let replaced: string | null = null;
      try {
        existing = readBaseline(path);
      } catch (error) {
        replaced = `the previous file could not be read and was replaced: ${errorMessage(error)}`;
      }
      const measurement = measureTarget(targetRun.samples, suite.scenarios);
      const entry = baselineRun({
        runId: context.startedAt,
        createdAt: context.startedAt,
        toolVersion: context.toolVersion,
        model: targetRun.target.model,
        serverVersion: targetRun.preflight.serverVersion,
        scenarios: measurement.scenarios,
        metrics: measurement.metrics,
        samples: targetRun.samples,
      });
      const baseline = withRun(existing, identityOf(targetRun.target), entry, path);
      writeBaseline(path, baseline);
      const index = baselines.findIndex((entry) => entry.target === targetRun.target.name);
      if (index >= 0) baselines.splice(index, 1);
      baselines.push({
        target: targetRun.target.name,
        path,
        status: 'written',
        runs: baseline.runs.length,
        reason: replaced,
      });
    }
  };

  if (writesBaselines(plan.gate.mode)) {
    writeBaselines(measured);
    return { verdicts: [], baselines, confirmed: false, flips: {}, trends: {} };
  }

  const comparisons: TargetComparison[] = [];
  for (const targetRun of measured) {
    const path = baselinePath(plan.gate.baselineDir, suite.id, targetRun.target.name);
    const baseline = readBaseline(path);
    if (!baseline) {
      baselines.push({ target: targetRun.target.name, path, status: 'missing', runs: 0, reason: null });
      continue;
    }
    const reason = incomparableReason(baseline, identityOf(targetRun.target), path);
    baselines.push({
      target: targetRun.target.name,
      path,
      status: reason ? 'incomparable' : 'compared',
      runs: baseline.runs.length,
      reason,
    });
    if (!reason)
      comparisons.push({
        target: targetRun.target.name,
        runs: baseline.runs,
        current: currentRunOf(targetRun.samples, suite),
      });
  }
  let confirmed = false;
  const confirm = plan.gate.confirmRuns
    ? async (suspicious: readonly MetricVerdict[]) => {
        confirmed = true;
        const again: TargetComparison[] = [];
        for (const comparison of comparisons) {
          const targetRun = defined(
            measured.find((entry) => entry.target.name === comparison.target),
            `the run of ${comparison.target}`,
          );
          const ids = new Set(
            suspicious
              .filter((verdict) => verdict.target === comparison.target)
              .flatMap((verdict) => scenariosOfMetric(verdict.metric, suite.scenarios)),
          );
          if (ids.size > 0 && !context.signal.aborted) {
            const extra = await context.confirmPass(
              { ...suite, scenarios: suite.scenarios.filter((scenario) => ids.has(scenario.id)) },
              targetRun.target,
            );
            targetRun.samples.push(...(extra.targets[0]?.samples ?? []));
          }
          again.push({ ...comparison, current: currentRunOf(targetRun.samples, suite) });
        }
        return again;
      }
    : null;
  const rules = Object.fromEntries(Object.entries(plan.gate.rules)) as Parameters<typeof decideWithConfirmation>[1];
  const verdicts = await decideWithConfirmation(comparisons, rules, plan.gate.alpha, confirm);
  const flips = Object.fromEntries(
    comparisons.map((comparison) => {
      const targetRun = defined(
        measured.find((entry) => entry.target.name === comparison.target),
        `the run of ${comparison.target}`,
      );
      const latest = defined(comparison.runs[0], `a baseline run of ${comparison.target}`);
      return [comparison.target, flipsSince(latest.scenarios, scenarioOutcomes(targetRun.samples, suite.scenarios))];
    }),
  );
  // Nightly runs on the main branch grow the history when the gate passes (never with a regression).
  if (plan.gate.updateBaselineOnPass && !verdicts.some((verdict) => verdict.status === 'regressed')) {
    writeBaselines(
      measured.filter((targetRun) =>
        baselines.some((entry) => entry.target === targetRun.target.name && entry.status === 'compared'),
      ),
    );
  }
  const trends = Object.fromEntries(
    comparisons.map((comparison) => {
      const gated = verdicts
        .filter((verdict) => verdict.target === comparison.target && verdict.pValue !== null)
        .map((verdict) => verdict.metric);
      const history = [...comparison.runs].reverse();
      return [
        comparison.target,
        Object.fromEntries(
          gated.map((metric) => [
            metric,
            [...history.map((run) => run.metrics[metric] ?? null), comparison.current.metrics[metric].value],
          ]),
        ),
      ];
    }),
  );
  return { verdicts, baselines, confirmed, flips, trends };
}

/** The newest baseline run of the first target, which sets the shards' expected costs; none is fine. */
function latestBaselineRun(plan: Plan, suite: Suite) {
  try {
    return plan.targets[0]
      ? readBaseline(baselinePath(plan.gate.baselineDir, suite.id, plan.targets[0].name))?.runs[0]
      : undefined;
  } catch {
    return undefined;
  }
}

export async function runModelGate(request: RunRequest): Promise<RunOutcome> {
  const startedAt = new Date().toISOString();
  const { log } = request;
  let reportDir = request.inputs['report-dir']?.trim() || DEFAULT_REPORT_DIR;
  let plan: Plan | undefined;
  let suite: Suite | undefined;
  let run: RunResult | undefined;
  let failure: ModelGateError | undefined;
  let sampleLog: SampleLog | undefined;
  let gate: GateOutcome = { verdicts: [], baselines: [], confirmed: false, flips: {}, trends: {} };
  let comparisons: Comparison[] = [];
  let shardInfo: Report['shard'] = null;

  try {
    const configFile = loadConfigFile(request.configPath, { required: request.configRequired });
    plan = resolvePlan(request.inputs, configFile, request.env, request.nameOf, request.configPath);
    reportDir = plan.reportDir;
    const fullSuite = await loadSuite(plan.suite);
    if (mergesShards(plan.gate.mode) && plan.shard)
      throw configError(
        `${request.nameOf('shard')} and mode ${plan.gate.mode} do not go together: the shard jobs run with shard: i/n, and one merge job without it gathers their reports.`,
      );
    // A shard runs its slice of the suite; the report names the whole suite's fingerprint.
    suite = plan.shard
      ? {
          ...fullSuite,
          scenarios:
            shardSlices(
              fullSuite.scenarios,
              plan.shard.count,
              expectedCosts(fullSuite.scenarios, latestBaselineRun(plan, fullSuite)),
            )[plan.shard.index - 1] ?? [],
        }
      : fullSuite;
    if (mergesShards(plan.gate.mode)) plan = { ...plan, gate: { ...plan.gate, confirmRuns: false } };
    const redact = redactor(plan.targets.flatMap((target) => (target.apiKey ? [target.apiKey] : [])));
    sampleLog = openSampleLog(join(reportDir, SAMPLES_FILE));
    const samplesFile = sampleLog;
    const settings = plan.settings;
    request.onPlan?.(plan, suite, (1 + suite.scenarios.length * settings.warmRuns) * plan.targets.length);
    run = { targets: [], cancelled: false };
    const scoreAnswer = compileAnswerScorer(suite);
    const record = (sample: Sample, progress: Progress) => {
      sample.excerpt = redact(sample.excerpt);
      if (sample.errorMessage) sample.errorMessage = redact(sample.errorMessage);
      samplesFile.append(sample);
      request.onSample?.(sample, progress);
    };
    if (mergesShards(plan.gate.mode)) {
      const shardsDir =
        request.inputs['shards-dir']?.trim() || (request.fetchShards ? await request.fetchShards(suite) : '');
      if (!shardsDir)
        throw configError(
          `mode ${plan.gate.mode} needs the shards' reports: give ${request.nameOf('shards-dir')}, the folder that holds them.`,
        );
      const merged = mergeShards(shardsDir, plan, suite);
      run.targets.push(...merged.targets);
      for (const targetRun of merged.targets) for (const sample of targetRun.samples) samplesFile.append(sample);
      shardInfo = { index: null, count: merged.count, scenarios: suite.scenarios.map((scenario) => scenario.id) };
    } else {
      await runSuite(
        {
          plan,
          suite,
          signal: request.signal,
          endpointFor: (target) => createEndpoint(target, settings),
          scoreAnswer,
          onPreflight: request.onPreflight,
          onSample: record,
          keepAnswers: plan.embeddings !== undefined && plan.targets.some((target) => target.compareTo),
        },
        run,
      );
    }
    if (plan.shard)
      shardInfo = {
        index: plan.shard.index,
        count: plan.shard.count,
        scenarios: suite.scenarios.map((scenario) => scenario.id),
      };
    comparisons = await runComparisons(plan, suite, run.targets, request.signal);
    // A shard is gated with the others, once they are merged.
    const gatedPlan = plan;
    if (!run.cancelled && !plan.shard)
      gate = await applyBaselines(plan, suite, run, {
        shards: shardInfo?.count ?? 1,
        startedAt,
        toolVersion: request.toolVersion,
        signal: request.signal,
        confirmPass: (subset, target) =>
          runSuite({
            plan: { ...gatedPlan, targets: [target] },
            suite: subset,
            signal: request.signal,
            endpointFor: (entry) => createEndpoint(entry, settings),
            scoreAnswer,
            onSample: record,
            confirmation: { runOffset: settings.warmRuns },
          }),
      });
  } catch (error) {
    failure = asModelGateError(error, log);
  } finally {
    sampleLog?.close();
  }

  const trends = Object.entries(gate.trends).map(([name, metrics]) => ({ name, trends: metrics }));
  // sharp is loaded only now, after every call: loading its native library blocks the event loop,
  // which would land inside a timed call. It then rasterizes the PNG charts on libuv's thread pool
  // while this thread builds and writes the rest.
  const sharp = trends.length > 0 ? (await loadSharp()).sharp : null;
  const charts = writeTrendCharts(reportDir, trends, sharp).catch((error: unknown) =>
    log.warn(`Trend charts were not written: ${errorMessage(error)}`),
  );
  // A run that threw midway still reports the samples it took.
  const runForReport = run ? { ...run, cancelled: run.cancelled || request.signal.aborted } : undefined;
  const targets =
    suite && runForReport
      ? runForReport.targets.map((target) => ({
          ...targetReport(target, suite),
          cost: plan ? costOf(target, plan) : null,
          flips: gate.flips[target.target.name] ?? [],
          trends: gate.trends[target.target.name] ?? {},
        }))
      : [];
  const checks =
    plan && !plan.shard
      ? targets.flatMap((target) =>
          target.measurement ? checkThresholds(target.name, target.measurement.metrics, plan.thresholds) : [],
        )
      : [];
  const decision = decide(plan, runForReport, failure, checks, gate);
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'model-gate', version: request.toolVersion },
    ...decision,
    startedAt,
    finishedAt: new Date().toISOString(),
    suite: suite
      ? {
          id: suite.id,
          version: suite.version,
          title: suite.title,
          fingerprint: suite.fingerprint,
          scenarios: suite.scenarios.length,
          ...(suite.file ? { file: suite.file } : {}),
        }
      : null,
    settings: plan ? { ...plan.settings } : null,
    thresholds: plan ? { ...plan.thresholds } : {},
    mode: plan?.gate.mode ?? 'gate',
    regressions: gate.verdicts.filter((verdict) => verdict.status === 'regressed').length,
    targets,
    thresholdChecks: checks,
    gate: plan
      ? {
          alpha: plan.gate.alpha,
          onRegression: plan.gate.onRegression,
          confirmRuns: plan.gate.confirmRuns,
          confirmed: gate.confirmed,
        }
      : null,
    baselines: gate.baselines,
    metricVerdicts: gate.verdicts,
    comparisons,
    shard: shardInfo,
    error: failure ? { kind: failure.kind, message: failure.message } : null,
    files: { samples: SAMPLES_FILE, summary: SUMMARY_FILE, comment: COMMENT_FILE, junit: JUNIT_FILE },
  };
  const markdown = summaryMarkdown(report);
  const comment = commentBody(
    report,
    request.comment ?? { marker: commentMarkerFor(report.suite?.id ?? 'model-gate'), runUrl: null },
  );
  const reportPath = writeReportFiles(reportDir, report, markdown, comment);
  await charts;
  if (plan?.shard && suite && request.publishShard && report.status !== 'failed') {
    await request
      .publishShard({ reportDir, names: [REPORT_FILE, SAMPLES_FILE, SUMMARY_FILE] }, suite, plan.shard)
      .catch((error: unknown) => log.warn(`The shard's report was not uploaded: ${errorMessage(error)}`));
  }
  return {
    report,
    reportPath,
    reportDir,
    summaryMarkdown: markdown,
    summaryLine: summaryLine(report),
    commentMarkdown: comment,
  };
}
