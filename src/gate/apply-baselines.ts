// The gate stage: baseline mode writes each measured target's baseline; gate mode compares each
// with its baseline, confirms suspicious metrics with more calls, and decides every metric.
import { z } from 'zod';
import { writesBaselines, type Plan, type Target } from '../config/schema.js';
import { baselineError, errorMessage } from '../lib/errors.js';
import { defined } from '../lib/defined.js';
import {
  computeMetrics,
  measureTarget,
  scenarioOutcomes,
  scenarioPasses,
  type ScenarioOutcome,
} from '../measure/metrics.js';
import type { MetricName } from '../metric-catalog.js';
import type { RunResult, TargetRun } from '../run/runner.js';
import type { Sample } from '../run/sample.js';
import type { Suite } from '../suite/schema.js';
import {
  baselinePath,
  baselineRun,
  incomparableReason,
  parseBaseline,
  readBaseline,
  readBaselineText,
  withRun,
  writeBaseline,
  type Baseline,
  type BaselineIdentity,
} from './baseline.js';
import { acceptanceSchema, type Acceptance, type TrustedBaselines } from '../lib/trusted.js';
import {
  decideWithConfirmation,
  scenariosOfMetric,
  type CurrentRun,
  type MetricVerdict,
  type TargetComparison,
} from './rules.js';

const shownMetrics = z.record(z.string(), z.number().nullable());

/** A run's own baseline that differs from the trusted one (a pull request changed it). */
export const baselineChangeSchema = z.object({
  /** accepted: a reviewer accepted it, and the run's own file was used; not-accepted: the trusted one was. */
  status: z.enum(['accepted', 'not-accepted']),
  trustedSource: z.string(),
  acceptance: acceptanceSchema.nullable(),
  /** The newest run's metrics on each side, null where that side has no (readable) file. */
  trusted: shownMetrics.nullable(),
  proposed: shownMetrics.nullable(),
  /** Why the run's own file could not be read, when it could not. */
  proposedProblem: z.string().nullable(),
});
export type BaselineChange = z.infer<typeof baselineChangeSchema>;

export const baselineUseSchema = z.object({
  target: z.string(),
  path: z.string(),
  status: z.enum(['compared', 'missing', 'incomparable', 'written']),
  runs: z.number().int(),
  reason: z.string().nullable(),
  change: baselineChangeSchema.nullable().optional(),
});
export type BaselineUse = z.infer<typeof baselineUseSchema>;

/** A scenario whose outcome changed since the baseline's latest run (majority of runs). */
export const flipSchema = z.object({ scenario: z.string(), before: z.boolean(), now: z.boolean() });
export type Flip = z.infer<typeof flipSchema>;

export interface GateOutcome {
  /** Where the trusted baselines came from on a pull request, and whether a reviewer accepted the run's own. */
  trust: { source: string; acceptance: Acceptance | null; howToAccept: string } | null;
  verdicts: MetricVerdict[];
  baselines: BaselineUse[];
  confirmed: boolean;
  flips: Record<string, Flip[]>;
  /** Per target, each gated metric over the baseline's runs (oldest first) and this run. */
  trends: Record<string, Partial<Record<MetricName, (number | null)[]>>>;
}

export const NO_GATE: GateOutcome = {
  trust: null,
  verdicts: [],
  baselines: [],
  confirmed: false,
  flips: {},
  trends: {},
};

export interface GateContext {
  startedAt: string;
  /** How many shards the run was merged from (1 when it was not sharded). */
  shards: number;
  toolVersion: string;
  signal: AbortSignal;
  /** On a pull request: the baselines the gate may trust (absent: the working tree's). */
  trusted?: TrustedBaselines;
  /** Runs more warm calls of some scenarios for one target (the confirmation pass). */
  confirmPass: (subset: Suite, target: Target) => Promise<RunResult>;
}

/** What the gate decides on: warm and confirmation calls together, the report's metrics unchanged. */
function currentRunOf(samples: readonly Sample[], suite: Suite): CurrentRun {
  const asWarm = samples.map((sample) => (sample.phase === 'confirm' ? { ...sample, phase: 'warm' as const } : sample));
  return { scenarios: scenarioOutcomes(asWarm, suite.scenarios), samples: asWarm, metrics: computeMetrics(samples) };
}

function flipsSince(before: readonly ScenarioOutcome[], now: readonly ScenarioOutcome[]): Flip[] {
  return now.flatMap((outcome) => {
    const earlier = before.find((entry) => entry.scenario === outcome.scenario);
    if (!earlier || outcome.runs === 0 || scenarioPasses(earlier) === scenarioPasses(outcome)) return [];
    return [{ scenario: outcome.scenario, before: scenarioPasses(earlier), now: scenarioPasses(outcome) }];
  });
}

/** What a baseline records it was measured with: a baseline measured otherwise is incomparable. */
function identityOf(plan: Plan, suite: Suite, target: Target, shards: number): BaselineIdentity {
  return {
    suite: { id: suite.id, version: suite.version, fingerprint: suite.fingerprint, size: suite.size },
    target: { name: target.name, kind: target.kind },
    // The tool mode changes what a routing suite asks, so it is part of what a baseline was measured with.
    // Shards share the endpoint (or run on other runners): latency from n shards is comparable only with n shards.
    settings: {
      ...plan.settings,
      jsonMode: target.jsonMode,
      ...(suite.tools?.length ? { toolMode: target.toolMode } : {}),
      ...(shards > 1 ? { shards } : {}),
    },
  };
}

/** A baseline is what later runs must match: one from a run that mostly failed would let anything pass. */
export const MAX_BASELINE_ERROR_SHARE = 0.5;

function refuseMostlyFailed(targetRuns: readonly TargetRun[]): void {
  for (const { target, samples } of targetRuns) {
    const calls = samples.filter((sample) => sample.phase === 'warm' && !sample.retried);
    const failed = calls.filter((sample) => sample.errorClass !== null);
    if (failed.length > calls.length * MAX_BASELINE_ERROR_SHARE)
      throw baselineError(
        `No baseline was written: ${failed.length} of ${calls.length} calls to target "${target.name}" failed (${failed[0]?.errorClass ?? 'error'}), and a baseline from a run that mostly failed would let any later run pass. Make the server answer, then run baseline mode again.`,
      );
  }
}

/** Writes (or extends) each target's baseline file, replacing its entry in `uses`. */
function writeBaselines(
  plan: Plan,
  suite: Suite,
  targetRuns: readonly TargetRun[],
  context: GateContext,
  uses: BaselineUse[],
): void {
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
    const baseline = withRun(existing, identityOf(plan, suite, targetRun.target, context.shards), entry, path);
    writeBaseline(path, baseline);
    const index = uses.findIndex((use) => use.target === targetRun.target.name);
    if (index >= 0) uses.splice(index, 1);
    uses.push({ target: targetRun.target.name, path, status: 'written', runs: baseline.runs.length, reason: replaced });
  }
}

const newestMetrics = (baseline: Baseline | undefined) => baseline?.runs[0]?.metrics ?? null;

/**
 * The baseline a target is compared with. Without trusted baselines, the working tree's; with them,
 * the trusted file, unless the run's own differs and a reviewer accepted it.
 */
async function baselineFor(
  path: string,
  trusted: TrustedBaselines | undefined,
): Promise<{ baseline: Baseline | undefined; change: BaselineChange | null }> {
  if (!trusted) return { baseline: readBaseline(path), change: null };
  const own = readBaselineText(path);
  const trustedText = await trusted.read(path);
  const trustedName = `${path} at ${trusted.source}`;
  if (own === trustedText) return { baseline: own === undefined ? undefined : parseBaseline(own, path), change: null };
  const trustedBaseline = trustedText === undefined ? undefined : parseBaseline(trustedText, trustedName);
  const accepted = trusted.acceptance !== null && (await trusted.acceptanceCovers(path));
  let proposed: Baseline | undefined;
  let proposedProblem: string | null = null;
  try {
    proposed = own === undefined ? undefined : parseBaseline(own, path);
  } catch (error) {
    if (accepted) throw error;
    proposedProblem = errorMessage(error);
  }
  const change: BaselineChange = {
    status: accepted ? 'accepted' : 'not-accepted',
    trustedSource: trusted.source,
    acceptance: trusted.acceptance,
    trusted: newestMetrics(trustedBaseline),
    proposed: newestMetrics(proposed),
    proposedProblem,
  };
  return { baseline: accepted ? proposed : trustedBaseline, change };
}

/** A target's baseline as the gate will use it, and how it differs from the run's own file. */
export interface TargetBaseline {
  path: string;
  baseline: Baseline | undefined;
  change: BaselineChange | null;
}

/**
 * Every target's baseline, read before any call: a damaged or unreadable file stops the run with
 * its error while the server's time is still unspent. Baseline mode reads none (it replaces them),
 * and neither does a shard (it is gated with the others, once they are merged).
 */
export async function readTargetBaselines(
  plan: Plan,
  suite: Suite,
  trusted: TrustedBaselines | undefined,
): Promise<Map<string, TargetBaseline>> {
  const read = new Map<string, TargetBaseline>();
  if (writesBaselines(plan.gate.mode) || plan.shard) return read;
  for (const target of plan.targets) {
    const path = baselinePath(plan.gate.baselineDir, suite.id, target.name);
    read.set(target.name, { path, ...(await baselineFor(path, trusted)) });
  }
  return read;
}

/** Each measured target against its baseline: the comparisons to decide, and how each baseline was used. */
function readComparisons(
  plan: Plan,
  suite: Suite,
  measured: readonly TargetRun[],
  baselines: ReadonlyMap<string, TargetBaseline>,
  shards: number,
): { comparisons: TargetComparison[]; uses: BaselineUse[] } {
  const comparisons: TargetComparison[] = [];
  const uses: BaselineUse[] = [];
  for (const targetRun of measured) {
    const { path, baseline, change } = defined(
      baselines.get(targetRun.target.name),
      `the baseline of ${targetRun.target.name}`,
    );
    const shownPath = change?.status === 'not-accepted' ? `${path} at ${change.trustedSource}` : path;
    if (!baseline) {
      uses.push({ target: targetRun.target.name, path: shownPath, status: 'missing', runs: 0, reason: null, change });
      continue;
    }
    const reason = incomparableReason(baseline, identityOf(plan, suite, targetRun.target, shards), shownPath);
    uses.push({
      target: targetRun.target.name,
      path: shownPath,
      status: reason ? 'incomparable' : 'compared',
      runs: baseline.runs.length,
      reason,
      change,
    });
    if (!reason)
      comparisons.push({
        target: targetRun.target.name,
        runs: baseline.runs,
        current: currentRunOf(targetRun.samples, suite),
      });
  }
  return { comparisons, uses };
}

const runOf = (measured: readonly TargetRun[], target: string) =>
  defined(
    measured.find((entry) => entry.target.name === target),
    `the run of ${target}`,
  );

/** The confirmation pass: re-runs the scenarios of each suspicious metric and returns the comparisons again. */
function confirmer(
  suite: Suite,
  measured: readonly TargetRun[],
  comparisons: readonly TargetComparison[],
  context: GateContext,
) {
  return async (suspicious: readonly MetricVerdict[]) => {
    const again: TargetComparison[] = [];
    for (const comparison of comparisons) {
      const targetRun = runOf(measured, comparison.target);
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
  };
}

function trendsOf(comparisons: readonly TargetComparison[], verdicts: readonly MetricVerdict[]): GateOutcome['trends'] {
  return Object.fromEntries(
    comparisons.map((comparison) => {
      const gated = verdicts.filter((verdict) => verdict.target === comparison.target && verdict.pValue !== null);
      // Each point is the statistic the table's row compares: a latency level's typical call, else the metric.
      const trend = (verdict: MetricVerdict) =>
        verdict.baselineRuns
          ? [...[...verdict.baselineRuns].reverse(), verdict.current]
          : [
              ...[...comparison.runs].reverse().map((run) => run.metrics[verdict.metric] ?? null),
              comparison.current.metrics[verdict.metric].value,
            ];
      return [comparison.target, Object.fromEntries(gated.map((verdict) => [verdict.metric, trend(verdict)]))];
    }),
  );
}

export async function applyBaselines(
  plan: Plan,
  suite: Suite,
  run: RunResult,
  baselines: ReadonlyMap<string, TargetBaseline>,
  context: GateContext,
): Promise<GateOutcome> {
  // A target stopped short, or one that lost calls to an outage, is not evidence on quality either way.
  const measured = run.targets.filter(
    (target) =>
      target.preflight.ok &&
      target.stopped === null &&
      target.outages.every((outage) => outage.callsLost === 0) &&
      target.samples.some((sample) => sample.phase === 'warm' && sample.errorClass === null),
  );
  if (writesBaselines(plan.gate.mode)) {
    refuseMostlyFailed(run.targets);
    const uses: BaselineUse[] = [];
    writeBaselines(plan, suite, measured, context, uses);
    return { ...NO_GATE, baselines: uses };
  }
  const { comparisons, uses } = readComparisons(plan, suite, measured, baselines, context.shards);
  let confirmed = false;
  const confirm = confirmer(suite, measured, comparisons, context);
  const verdicts = await decideWithConfirmation(
    comparisons,
    plan.gate.rules,
    plan.gate.alpha,
    plan.gate.confirmRuns
      ? (suspicious) => {
          confirmed = true;
          return confirm(suspicious);
        }
      : null,
  );
  const flips = Object.fromEntries(
    comparisons.map((comparison) => {
      const latest = defined(comparison.runs[0], `a baseline run of ${comparison.target}`);
      const now = scenarioOutcomes(runOf(measured, comparison.target).samples, suite.scenarios);
      return [comparison.target, flipsSince(latest.scenarios, now)];
    }),
  );
  // Nightly runs on the main branch grow the history when the gate passes (never with a regression).
  if (plan.gate.updateBaselineOnPass && !verdicts.some((verdict) => verdict.status === 'regressed')) {
    const compared = measured.filter((targetRun) =>
      uses.some((use) => use.target === targetRun.target.name && use.status === 'compared'),
    );
    writeBaselines(plan, suite, compared, context, uses);
  }
  const trust = context.trusted
    ? {
        source: context.trusted.source,
        acceptance: context.trusted.acceptance,
        howToAccept: context.trusted.howToAccept,
      }
    : null;
  return { trust, verdicts, baselines: uses, confirmed, flips, trends: trendsOf(comparisons, verdicts) };
}

/** The newest baseline run of the first target, which sets the shards' expected costs; none is fine. */
export function latestBaselineRun(plan: Plan, suite: Suite) {
  try {
    return plan.targets[0]
      ? readBaseline(baselinePath(plan.gate.baselineDir, suite.id, plan.targets[0].name))?.runs[0]
      : undefined;
  } catch {
    return undefined;
  }
}
