// The run's verdict, in one sentence with its reason: from what ran, the threshold checks and the
// metric verdicts. pass | fail | no-baseline | incomparable | error, and the run's status beside it.
import { z } from 'zod';
import { writesBaselines, type Plan } from '../config/schema.js';
import { defined } from '../lib/defined.js';
import type { ModelGateError } from '../lib/errors.js';
import { METRICS, type MetricEntry } from '../metric-catalog.js';
import type { RunResult, TargetRun } from '../run/runner.js';
import type { Outage } from '../run/server-watch.js';
import type { Sample } from '../run/sample.js';
import { isTruncated } from '../measure/metrics.js';
import type { GateOutcome } from './apply-baselines.js';
import { formatP, type MetricVerdict } from './rules.js';
import type { ThresholdCheck } from './thresholds.js';
import { plural } from '../lib/words.js';

export const verdictSchema = z.enum(['pass', 'fail', 'no-baseline', 'incomparable', 'error']);
export type Verdict = z.infer<typeof verdictSchema>;
/** complete: all planned calls ran; partial: a target could not be measured; cancelled; failed: nothing ran. */
export const runStatusSchema = z.enum(['complete', 'partial', 'cancelled', 'failed']);
export type RunStatus = z.infer<typeof runStatusSchema>;

export interface Decision {
  status: RunStatus;
  verdict: Verdict;
  verdictReason: string;
}

function describeRegression(verdict: MetricVerdict): string {
  const unit = verdict.changeUnit === 'points' ? ' points' : ' %';
  const change =
    verdict.change === null
      ? ''
      : ` ${verdict.change > 0 ? '+' : verdict.change < 0 ? '−' : '±'}${Math.abs(verdict.change)}${unit}`;
  const { advice: meaning } = METRICS[verdict.metric] as MetricEntry;
  const advice = meaning ? `, ${meaning}` : '';
  return `${METRICS[verdict.metric].label}${change} on ${verdict.target} (p = ${formatP(verdict.pValue ?? 1)}${advice})`;
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

const callsLost = (target: TargetRun) => target.outages.reduce((sum, outage) => sum + outage.callsLost, 0);

function describeOutages(outages: readonly Outage[]): string {
  return outages
    .map(
      (outage) =>
        `down ${outage.downMs === null ? 'for good' : `${(outage.downMs / 1000).toFixed(1)} s`} from ${outage.startedAt.slice(11, 19)} UTC: ${outage.cause}`,
    )
    .join('; ');
}

/** Outages ridden out without losing a call: the verdict stands, and its reason starts with them. */
function outageNote(run: RunResult): string {
  return run.targets
    .filter((target) => target.outages.length > 0)
    .map(
      (target) =>
        `The server of target "${target.target.name}" stopped answering during the run (${describeOutages(target.outages)}); every call it interrupted was made again once it was back. `,
    )
    .join('');
}

const warmAnswers = (samples: readonly Sample[]) =>
  samples.filter((sample) => sample.phase === 'warm' && sample.errorClass === null);

/** Tools offered natively, and not one answer called one: the server drops them (llama.cpp without a tool template does). */
function toolsIgnored(target: TargetRun): boolean {
  const answers = warmAnswers(target.samples);
  return answers.length >= MIN_ANSWERS_TO_CALL_TOOLS_IGNORED && answers.every((sample) => sample.nativeToolCalls === 0);
}
const MIN_ANSWERS_TO_CALL_TOOLS_IGNORED = 5;

/** No answer was JSON: said by its cause, cut off at max-tokens or not following the format. */
function noJsonReason(target: TargetRun, maxTokens: number): string {
  const answers = warmAnswers(target.samples);
  const cut = answers.filter(isTruncated).length;
  const who = `target "${target.target.name}"`;
  if (cut * 2 >= answers.length)
    return `No answer from ${who} was complete JSON: ${cut} of ${answers.length} were cut off at max-tokens (${maxTokens}) with finish_reason length. Raise max-tokens, or bound the output schema's strings (maxLength) so that an answer ends.`;
  const format =
    target.target.jsonMode === 'json_schema'
      ? 'The server may not enforce the response_format json_schema it was sent, or the model does not follow the output format; check the answers.'
      : target.target.jsonMode === 'none'
        ? 'No response_format was sent (json-mode none): the model does not follow the output format in the prompt. Try json-mode json_schema where the server enforces it.'
        : 'The server may ignore response_format json_object (llama.cpp does in its default mode), or the model does not follow the output format: try json-mode json_schema.';
  return `No answer from ${who} was valid JSON (${answers.length} answers${cut > 0 ? `, ${cut} cut off at max-tokens` : ''}; see "Calls worth a look" in the summary). ${format}`;
}

/** Why the run could not be judged at all (cancelled, failed, a target unusable), or null. */
function undecidable(
  plan: Plan | undefined,
  run: RunResult | undefined,
  error: ModelGateError | undefined,
): Decision | null {
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
  if (unreachable.length > 0)
    return {
      status: 'partial',
      verdict: 'error',
      verdictReason: unreachable.map((target) => target.preflight.diagnosis).join(' '),
    };
  const stopped = run.targets.filter((target) => target.stopped);
  if (stopped.length > 0)
    return { status: 'partial', verdict: 'error', verdictReason: stopped.map((target) => target.stopped).join(' ') };
  // Calls lost to an outage would read as errors and misses: a quality verdict on them would blame the model.
  const lost = errorOf(
    'partial',
    run.targets.filter((target) => callsLost(target) > 0),
    (target) =>
      `Target "${target.target.name}" lost ${plural(callsLost(target), 'call')} to a server outage (${describeOutages(target.outages)}), so nothing was gated on it: the missing answers would read as a quality regression. Re-run once the server is steady.`,
  );
  if (lost) return lost;
  const silent = run.targets.filter((target) => warmAnswers(target.samples).length === 0);
  if (silent.length > 0)
    return {
      status: 'complete',
      verdict: 'error',
      verdictReason: silent
        .map((target) => `No call to target "${target.target.name}" succeeded: ${mostCommonError(target.samples)}.`)
        .join(' '),
    };
  return (
    errorOf(
      'complete',
      run.targets.filter(toolsIgnored),
      (target) =>
        `No answer from target "${target.target.name}" made a tool call (${warmAnswers(target.samples).length} answers, plain text instead): the server ignores the tools it is sent. Turn tool calling on where the server is started (vLLM: --enable-auto-tool-choice with the model's --tool-call-parser; llama.cpp: --jinja with a chat template that does tool calls), or set tool-mode json to describe the tools in the prompt.`,
    ) ??
    errorOf(
      'complete',
      run.targets.filter((target) => warmAnswers(target.samples).every((sample) => !sample.jsonValid)),
      (target) => noJsonReason(target, plan.settings.maxTokens),
    )
  );
}

/** An error verdict naming each of the targets, or null when there are none. */
function errorOf(
  status: RunStatus,
  targets: readonly TargetRun[],
  reasonOf: (target: TargetRun) => string,
): Decision | null {
  return targets.length === 0 ? null : { status, verdict: 'error', verdictReason: targets.map(reasonOf).join(' ') };
}

/** The verdict of a run that could be judged: regressions and thresholds first, then the baselines. */
function judged(plan: Plan, run: RunResult, checks: readonly ThresholdCheck[], gate: GateOutcome): Decision {
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
  const unaccepted = gate.baselines.filter((entry) => entry.change?.status === 'not-accepted');
  if (failed.length > 0 || regressed.length > 0 || unaccepted.length > 0) {
    const parts = [
      ...(regressed.length > 0
        ? [
            `${plural(regressed.length, 'regression')} beyond margin and noise: ${regressed.map(describeRegression).join('; ')}`,
          ]
        : []),
      ...(failed.length > 0
        ? [
            `${failed.length} of ${checks.length} thresholds not met: ${failed.map((check) => `${check.reason} on ${check.target}`).join('; ')}`,
          ]
        : []),
      ...(gate.trust && unaccepted.length > 0
        ? [
            `The run's own baseline${unaccepted.length === 1 ? '' : 's'} ${unaccepted.map((entry) => entry.path.replace(/ at .*$/, '')).join(', ')} differ${unaccepted.length === 1 ? 's' : ''} from ${gate.trust.source}'s, and no reviewer has accepted the change, so the run was compared with ${gate.trust.source}'s. To accept it, ${gate.trust.howToAccept}`,
          ]
        : []),
    ];
    return { status: 'complete', verdict: 'fail', verdictReason: `${parts.join('. ')}.` };
  }
  const incomparable = gate.baselines.filter((entry) => entry.status === 'incomparable');
  // A baseline that matches the run's setup but shares no measurement with it gates nothing.
  const empty = gate.baselines.filter(
    (entry) =>
      entry.status === 'compared' &&
      !gate.verdicts.some((verdict) => verdict.target === entry.target && verdict.pValue !== null),
  );
  if (incomparable.length > 0 || empty.length > 0) {
    // On a pull request, a new suite or setup is accepted by a reviewer, not by the change itself.
    const needsAcceptance = gate.trust !== null && gate.trust.acceptance === null;
    return {
      status: 'complete',
      verdict: needsAcceptance ? 'fail' : 'incomparable',
      verdictReason: [
        ...incomparable.map((entry) => entry.reason),
        ...empty.map(
          (entry) =>
            `No metric of target "${entry.target}" could be compared with its baseline ${entry.path}: it holds no measurement of the scenarios this run measured. Write a new one with mode: baseline (CLI: model-gate baseline) and commit it.`,
        ),
        ...(needsAcceptance && gate.trust ? [`To accept the new setup, ${gate.trust.howToAccept}`] : []),
      ].join(' '),
    };
  }
  const missing = gate.baselines.filter((entry) => entry.status === 'missing');
  if (missing.length > 0)
    return {
      status: 'complete',
      verdict: 'no-baseline',
      verdictReason: `No baseline for ${missing.map((entry) => `target "${entry.target}" (${entry.path})`).join(', ')}: nothing to compare with, so nothing is gated but the thresholds. Write one with mode: baseline (CLI: model-gate baseline) and commit it.`,
    };
  const written = gate.baselines.filter((entry) => entry.status === 'written');
  if (written.length > 0 && writesBaselines(plan.gate.mode)) {
    const notes = written
      .filter((entry) => entry.reason)
      .map((entry) => ` ${entry.path}: ${entry.reason}.`)
      .join('');
    return {
      status: 'complete',
      verdict: 'pass',
      verdictReason: `Baseline written: ${written.map((entry) => `${entry.path} (${plural(entry.runs, 'run')} kept)`).join(', ')}. Commit it so that pull requests are gated against it.${notes}`,
    };
  }
  const gated = gate.verdicts.filter((verdict) => verdict.pValue !== null).length;
  const thresholdText = checks.length > 0 ? ` All ${checks.length} thresholds met.` : '';
  const historyText =
    written.length > 0
      ? ` This run was added to the baseline history: ${written.map((entry) => `${entry.path} (${plural(entry.runs, 'run')} kept)`).join(', ')}; commit it.`
      : '';
  return {
    status: 'complete',
    verdict: 'pass',
    verdictReason: `No regression: ${gated} gated metrics within their margins or within noise (run-wide false-alarm rate ${plan.gate.alpha * 100} %).${thresholdText}${historyText}`,
  };
}

export function decideRun(
  plan: Plan | undefined,
  run: RunResult | undefined,
  error: ModelGateError | undefined,
  checks: readonly ThresholdCheck[],
  gate: GateOutcome,
): Decision {
  // undecidable() answers whenever the plan or the run is missing.
  const decision = undecidable(plan, run, error);
  if (decision) return decision;
  const judgedRun = defined(run, 'the run');
  const verdict = judged(defined(plan, 'the plan'), judgedRun, checks, gate);
  return { ...verdict, verdictReason: `${outageNote(judgedRun)}${verdict.verdictReason}` };
}
