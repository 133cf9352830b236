// Report assembly: the run, the gate's outcome and the verdict, as the report.json record.
import { familyIdentity } from '../suite/families/index.js';
import { median } from 'simple-statistics';
import type { Plan } from '../config/schema.js';
import type { Comparison } from '../compare/paired.js';
import { costOf } from '../compare/run-comparisons.js';
import { displayUrl } from '../lib/url.js';
import type { GateOutcome } from '../gate/apply-baselines.js';
import type { ThresholdCheck } from '../gate/thresholds.js';
import type { Decision } from '../gate/verdict.js';
import type { ModelGateError } from '../lib/errors.js';
import { round } from '../lib/round.js';
import { callOutcome, isProblem } from '../measure/call-outcome.js';
import { measureTarget } from '../measure/metrics.js';
import type { RunResult, TargetRun } from '../run/runner.js';
import type { Sample } from '../run/sample.js';
import type { Suite } from '../suite/schema.js';
import {
  COMMENT_FILE,
  JUNIT_FILE,
  REPORT_SCHEMA_VERSION,
  SAMPLES_FILE,
  SUMMARY_FILE,
  type Report,
  type TargetReport,
} from './report.js';

const NOTABLE_SAMPLES_PER_TARGET = 20;

/** The first calls with each kind of problem per scenario, up to a limit: what a reviewer should look at. */
function notableSamples(samples: readonly Sample[], suite: Suite): TargetReport['notableSamples'] {
  const primaryScore = suite.scenarios[0]?.primaryScore;
  const seen = new Set<string>();
  const notable: TargetReport['notableSamples'] = [];
  for (const sample of samples) {
    if (sample.phase !== 'warm') continue;
    const problem = callOutcome(sample, { anomaly: sample.anomaly, primaryScore });
    if (!isProblem(problem) || seen.has(`${sample.scenario}/${problem}`)) continue;
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

/** Medians of what the server itself reported, beside the client's figures. */
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

export function targetReport(run: TargetRun, suite: Suite, plan: Plan | undefined, gate: GateOutcome): TargetReport {
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
    outages: run.outages,
    serverLog: run.serverLog ?? null,
    plannedCalls: run.plannedCalls,
    completedCalls: run.samples.filter((sample) => sample.phase !== 'confirm' && !sample.retried).length,
    confirmationCalls: run.samples.filter((sample) => sample.phase === 'confirm').length,
    measurement: measured ? measureTarget(run.samples, suite.scenarios) : null,
    cost: plan ? costOf(run, plan) : null,
    flips: gate.flips[run.target.name] ?? [],
    trends: gate.trends[run.target.name] ?? {},
    notableSamples: notableSamples(run.samples, suite),
  };
}

export interface ReportParts {
  toolVersion: string;
  startedAt: string;
  plan: Plan | undefined;
  suite: Suite | undefined;
  targets: TargetReport[];
  checks: ThresholdCheck[];
  decision: Decision;
  gate: GateOutcome;
  comparisons: Comparison[];
  shard: Report['shard'];
  failure: ModelGateError | undefined;
}

export function assembleReport(parts: ReportParts): Report {
  const { plan, suite, gate, failure } = parts;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'model-gate', version: parts.toolVersion },
    ...parts.decision,
    startedAt: parts.startedAt,
    finishedAt: new Date().toISOString(),
    suite: suite
      ? {
          id: suite.id,
          version: suite.version,
          title: suite.title,
          fingerprint: suite.fingerprint,
          scenarios: suite.scenarios.length,
          size: suite.size,
          ...(suite.families.length > 0 ? { families: suite.families.map(familyIdentity) } : {}),
          ...(suite.file ? { file: suite.file } : {}),
        }
      : null,
    settings: plan ? { ...plan.settings } : null,
    thresholds: plan ? { ...plan.thresholds } : {},
    mode: plan?.gate.mode ?? 'gate',
    regressions: gate.verdicts.filter((verdict) => verdict.status === 'regressed').length,
    targets: parts.targets,
    thresholdChecks: parts.checks,
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
    comparisons: parts.comparisons,
    shard: parts.shard,
    error: failure ? { kind: failure.kind, message: failure.message } : null,
    files: { samples: SAMPLES_FILE, summary: SUMMARY_FILE, comment: COMMENT_FILE, junit: JUNIT_FILE },
  };
}

/** The run as it goes into the report: a run that threw midway still reports the samples it took. */
export const reportedRun = (run: RunResult | undefined, signal: AbortSignal): RunResult | undefined =>
  run ? { ...run, cancelled: run.cancelled || signal.aborted } : undefined;
