// What one call was, decided in one place: the notable samples of a report, the A-versus-B
// agreement and the action's log line all read it from here.
import type { Sample } from '../run/sample.js';
import { isTruncated } from './metrics.js';

export type CallOutcome =
  | 'error'
  | 'truncated'
  | 'invalid-json'
  | 'schema-invalid'
  | 'missed'
  | 'false-positive'
  | 'low-score'
  | 'detected'
  | 'clean'
  | 'passed';

/** The outcomes that fail the call's scenario; the others pass it. */
export const CALL_PROBLEMS = [
  'missed',
  'false-positive',
  'invalid-json',
  'schema-invalid',
  'low-score',
  'truncated',
  'error',
] as const;
export type CallProblem = (typeof CALL_PROBLEMS)[number];

export interface ScenarioExpectation {
  /** true: a planted anomaly to detect; false: a clean screen; null: scored against ground truth. */
  anomaly: boolean | null;
  /** The score that decides a ground-truth scenario, and the value it must reach. */
  primaryScore?: { name: string; threshold: number } | null;
}

/**
 * The first thing wrong with a call, in this order: it failed, its answer was cut off at
 * max-tokens before it was JSON, its answer was not JSON or broke the schema, it missed the anomaly or flagged a clean screen, its primary score fell short.
 */
export function callOutcome(
  sample: Pick<Sample, 'errorClass' | 'finishReason' | 'jsonValid' | 'schemaValid' | 'detected' | 'flagged' | 'scores'>,
  scenario: ScenarioExpectation,
): CallOutcome {
  if (sample.errorClass !== null) return 'error';
  if (isTruncated(sample)) return 'truncated';
  if (!sample.jsonValid) return 'invalid-json';
  if (!sample.schemaValid) return 'schema-invalid';
  if (scenario.anomaly === true) return sample.detected ? 'detected' : 'missed';
  if (scenario.anomaly === false) return sample.flagged ? 'false-positive' : 'clean';
  const primary = scenario.primaryScore;
  if (primary && (sample.scores[primary.name] ?? 0) < primary.threshold) return 'low-score';
  return 'passed';
}

export const isProblem = (outcome: CallOutcome): outcome is CallProblem =>
  (CALL_PROBLEMS as readonly string[]).includes(outcome);
