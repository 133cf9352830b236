// The conductor: config → suite → run (or merge the shards' runs) → compare → gate → report. Each
// stage is a module of its own; this file only hands one stage's result to the next. It never
// throws for a user's mistake: whatever happens, a report is written and returned.
import { join } from 'node:path';
import { loadConfigFile, resolvePlan, type InputNamer, type RawInputs } from './config/load.js';
import { DEFAULT_REPORT_DIR, mergesShards, planSecrets, type Plan, type Target } from './config/schema.js';
import type { Comparison } from './compare/paired.js';
import { runComparisons } from './compare/run-comparisons.js';
import { createEndpoint } from './endpoint/index.js';
import type { PreflightResult } from './endpoint/types.js';
import {
  applyBaselines,
  latestBaselineRun,
  NO_GATE,
  readTargetBaselines,
  type GateOutcome,
  type TargetBaseline,
} from './gate/apply-baselines.js';
import { checkThresholds } from './gate/thresholds.js';
import type { TrustedBaselines } from './lib/trusted.js';
import { decideRun } from './gate/verdict.js';
import { configError, errorMessage, ModelGateError } from './lib/errors.js';
import { redactDeep, redactor } from './lib/redact.js';
import { loadSharp } from './lib/sharp.js';
import { assembleReport, reportedRun, targetReport } from './report/assemble.js';
import { writeTrendCharts } from './report/charts.js';
import { commentBody, commentMarkerFor } from './report/comment.js';
import { summaryLine, summaryMarkdown } from './report/markdown.js';
import { REPORT_FILE, SAMPLES_FILE, SUMMARY_FILE, type Report } from './report/report.js';
import { writeReportFiles } from './report/write.js';
import { defaultWarmRuns, runSuite, type Progress, type RunResult } from './run/runner.js';
import { ServerPool } from './run/server-process.js';
import type { Sample } from './run/sample.js';
import { openSampleLog, type SampleLog } from './run/sample-log.js';
import { compileAnswerScorer, type AnswerScorer } from './score/answer.js';
import { mergeShards } from './shard/merge.js';
import { expectedCosts, shardSlices, type ShardSpec } from './shard/slice.js';
import { loadSuite } from './suite/load.js';
import type { Suite } from './suite/schema.js';

export interface RunLogger {
  info(line: string): void;
  warn(line: string): void;
  debug(line: string): void;
}

export interface RunRequest {
  inputs: RawInputs;
  /** A shell's own input that did not parse: the run stops before any call, and the report names it. */
  inputError?: ModelGateError;
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
  /** On a pull request: the baselines to trust over the working tree's (see src/lib/trusted.ts). */
  trustedBaselines?: TrustedBaselines;
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

/** What the stages have produced so far: a run that fails midway is reported from it. */
interface Stages {
  reportDir: string;
  plan?: Plan;
  suite?: Suite;
  run?: RunResult;
  comparisons: Comparison[];
  gate: GateOutcome;
  shard: Report['shard'];
  failure?: ModelGateError;
}

function asModelGateError(error: unknown, log: RunLogger): ModelGateError {
  if (error instanceof ModelGateError) return error;
  log.debug(error instanceof Error && error.stack ? error.stack : String(error));
  return new ModelGateError(
    'report',
    `Unexpected internal error: ${errorMessage(error)}. This is a bug in model-gate; please report it with the log (run with debug logging for the stack).`,
  );
}

/** The plan's suite; a shard job runs its slice of it, and the report names the whole suite's fingerprint. */
async function suiteOf(plan: Plan, nameOf: InputNamer): Promise<Suite> {
  const fullSuite = await loadSuite(plan.suite, plan.suiteSize);
  if (mergesShards(plan.gate.mode) && plan.shard)
    throw configError(
      `${nameOf('shard')} and mode ${plan.gate.mode} do not go together: the shard jobs run with shard: i/n, and one merge job without it gathers their reports.`,
    );
  if (!plan.shard) return fullSuite;
  const slices = shardSlices(
    fullSuite.scenarios,
    plan.shard.count,
    expectedCosts(fullSuite.scenarios, latestBaselineRun(plan, fullSuite)),
  );
  return { ...fullSuite, scenarios: slices[plan.shard.index - 1] ?? [] };
}

/** Each call as it completes: secrets redacted, appended to samples.jsonl, handed to the shell. */
function sampleRecorder(request: RunRequest, redact: (text: string) => string, sampleLog: SampleLog) {
  return (sample: Sample, progress: Progress) => {
    sample.excerpt = redact(sample.excerpt);
    if (sample.errorMessage) sample.errorMessage = redact(sample.errorMessage);
    sampleLog.append(sample);
    request.onSample?.(sample, progress);
  };
}

/** mode merge and merge-baseline: the shards' runs, merged, in place of calls. */
async function mergeStage(request: RunRequest, plan: Plan, suite: Suite, run: RunResult, sampleLog: SampleLog) {
  const shardsDir =
    request.inputs['shards-dir']?.trim() || (request.fetchShards ? await request.fetchShards(suite) : '');
  if (!shardsDir)
    throw configError(
      `mode ${plan.gate.mode} needs the shards' reports: give ${request.nameOf('shards-dir')}, the folder that holds them.`,
    );
  const merged = mergeShards(shardsDir, plan, suite);
  run.targets.push(...merged.targets);
  for (const targetRun of merged.targets) for (const sample of targetRun.samples) sampleLog.append(sample);
  return { index: null, count: merged.count, scenarios: suite.scenarios.map((scenario) => scenario.id) };
}

interface Measuring {
  request: RunRequest;
  plan: Plan;
  suite: Suite;
  scoreAnswer: AnswerScorer;
  /** Removes the plan's secrets from text a server sent. */
  redact: (text: string) => string;
  record: (sample: Sample, progress: Progress) => void;
  /** The servers started for targets with server.start; stopped when the stages end. */
  servers: ServerPool;
}

async function runStage(
  { request, plan, suite, scoreAnswer, redact, record, servers }: Measuring,
  run: RunResult,
): Promise<RunResult> {
  await runSuite(
    {
      plan,
      suite,
      signal: request.signal,
      endpointFor: (target) => createEndpoint(target, plan.settings),
      scoreAnswer,
      onPreflight: (target, result) => {
        request.onPreflight?.(target, { ...result, diagnosis: result.diagnosis && redact(result.diagnosis) });
      },
      onSample: record,
      onNotice: (message) => {
        request.log.info(redact(message));
      },
      keepAnswers: plan.embeddings !== undefined && plan.targets.some((target) => target.compareTo),
      servers,
    },
    run,
  );
  // A server model-gate started and that failed: its last words go into the report.
  for (const targetRun of run.targets) {
    const server = servers.get(targetRun.target);
    if (server && (!targetRun.preflight.ok || targetRun.stopped || targetRun.outages.length > 0))
      targetRun.serverLog = server.logTail();
  }
  return run;
}

function gateStage(
  measuring: Measuring,
  run: RunResult,
  baselines: ReadonlyMap<string, TargetBaseline>,
  startedAt: string,
  shards: number,
): Promise<GateOutcome> {
  const { request, plan, suite, scoreAnswer, record, servers } = measuring;
  return applyBaselines(plan, suite, run, baselines, {
    shards,
    startedAt,
    toolVersion: request.toolVersion,
    signal: request.signal,
    trusted: request.trustedBaselines,
    confirmPass: (subset, target) =>
      runSuite({
        plan: { ...plan, targets: [target] },
        suite: subset,
        signal: request.signal,
        endpointFor: (entry) => createEndpoint(entry, plan.settings),
        scoreAnswer,
        onSample: record,
        confirmation: { runOffset: plan.settings.warmRuns },
        servers,
      }),
  });
}

/** Every stage up to the gate, recording each result in `stages` as soon as it exists. */
async function runStages(request: RunRequest, startedAt: string, stages: Stages): Promise<void> {
  if (request.inputError) throw request.inputError;
  const configFile = loadConfigFile(request.configPath, { required: request.configRequired });
  let plan = resolvePlan(request.inputs, configFile, request.env, request.nameOf, request.configPath);
  stages.plan = plan;
  stages.reportDir = plan.reportDir;
  const suite = await suiteOf(plan, request.nameOf);
  stages.suite = suite;
  if (plan.warmRunsAuto)
    // From the whole suite's size, so every shard of a sharded run repeats alike.
    stages.plan = plan = {
      ...plan,
      settings: { ...plan.settings, warmRuns: defaultWarmRuns(suite.size.scenarios) },
    };
  if (mergesShards(plan.gate.mode)) stages.plan = plan = { ...plan, gate: { ...plan.gate, confirmRuns: false } };
  request.onPlan?.(plan, suite, (1 + suite.scenarios.length * plan.settings.warmRuns) * plan.targets.length);
  const baselines = await readTargetBaselines(plan, suite, request.trustedBaselines);

  const sampleLog = openSampleLog(join(stages.reportDir, SAMPLES_FILE));
  const servers = new ServerPool();
  try {
    const run: RunResult = (stages.run = { targets: [], cancelled: false });
    const redact = redactor(planSecrets(plan));
    const measuring: Measuring = {
      request,
      plan,
      suite,
      scoreAnswer: compileAnswerScorer(suite),
      redact,
      record: sampleRecorder(request, redact, sampleLog),
      servers,
    };
    if (mergesShards(plan.gate.mode)) stages.shard = await mergeStage(request, plan, suite, run, sampleLog);
    else await runStage(measuring, run);
    if (plan.shard)
      stages.shard = {
        index: plan.shard.index,
        count: plan.shard.count,
        scenarios: suite.scenarios.map((scenario) => scenario.id),
      };
    stages.comparisons = await runComparisons(plan, suite, run.targets, request.signal);
    // A shard is gated with the others, once they are merged.
    if (!run.cancelled && !plan.shard)
      stages.gate = await gateStage(measuring, run, baselines, startedAt, stages.shard?.count ?? 1);
  } finally {
    sampleLog.close();
    await servers.stopAll();
  }
}

/** The report stage: report.json, summary.md, comment.md, junit.xml and the trend charts. */
async function reportStage(request: RunRequest, startedAt: string, stages: Stages): Promise<RunOutcome> {
  const { plan, suite, gate, reportDir } = stages;
  const trends = Object.entries(gate.trends).map(([name, metrics]) => ({ name, trends: metrics }));
  // sharp is loaded only now, after every call: loading its native library blocks the event loop,
  // which would land inside a timed call. It then rasterizes the PNG charts on libuv's thread pool
  // while this thread builds and writes the rest.
  const sharp = trends.length > 0 ? (await loadSharp()).sharp : null;
  const statusOf = (target: string, metric: string) =>
    gate.verdicts.find((verdict) => verdict.target === target && verdict.metric === metric)?.status;
  const charts = writeTrendCharts(reportDir, trends, sharp, statusOf).catch((error: unknown) =>
    request.log.warn(`Trend charts were not written: ${errorMessage(error)}`),
  );
  const run = reportedRun(stages.run, request.signal);
  const targets = suite && run ? run.targets.map((target) => targetReport(target, suite, plan, gate)) : [];
  const checks =
    plan && !plan.shard
      ? targets.flatMap((target) =>
          target.measurement ? checkThresholds(target.name, target.measurement.metrics, plan.thresholds) : [],
        )
      : [];
  // Servers echo keys in their errors, and URLs can carry credentials: nothing is written unredacted.
  const redact = redactor(plan ? planSecrets(plan) : []);
  const assembled = assembleReport({
    toolVersion: request.toolVersion,
    startedAt,
    plan,
    suite,
    targets,
    checks,
    decision: decideRun(plan, run, stages.failure, checks, gate),
    gate,
    comparisons: stages.comparisons,
    shard: stages.shard,
    failure: stages.failure,
  });
  const report = redactDeep(assembled, redact);
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
      .catch((error: unknown) => request.log.warn(`The shard's report was not uploaded: ${errorMessage(error)}`));
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

export async function runModelGate(request: RunRequest): Promise<RunOutcome> {
  const startedAt = new Date().toISOString();
  const stages: Stages = {
    reportDir: request.inputs['report-dir']?.trim() || DEFAULT_REPORT_DIR,
    comparisons: [],
    gate: NO_GATE,
    shard: null,
  };
  try {
    await runStages(request, startedAt, stages);
  } catch (error) {
    stages.failure = asModelGateError(error, request.log);
  }
  return reportStage(request, startedAt, stages);
}
