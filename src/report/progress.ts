// One line per call for a log as a run goes, the same from the action and the CLI.
import { callOutcome, type CallOutcome } from '../measure/call-outcome.js';
import type { Progress } from '../run/runner.js';
import type { Sample } from '../run/sample.js';
import type { PreflightResult } from '../endpoint/types.js';

const OUTCOME_WORDS: Record<CallOutcome, string> = {
  error: 'error',
  truncated: 'cut off at max-tokens',
  'invalid-json': 'invalid JSON',
  'schema-invalid': 'breaks the schema',
  missed: 'missed',
  'false-positive': 'false positive',
  'low-score': 'low score',
  detected: 'detected',
  clean: 'clean',
  passed: 'passed',
};

export function progressLine(sample: Sample, progress: Progress): string {
  const outcome = callOutcome(sample, { anomaly: sample.anomaly });
  const word = outcome === 'error' ? `error ${sample.errorClass ?? ''}`.trim() : OUTCOME_WORDS[outcome];
  const run = sample.phase === 'warm' ? ` run ${sample.run}` : '';
  return `[${progress.done}/${progress.total}] ${progress.target} · ${sample.scenario} · ${sample.phase}${run} · ${Math.round(sample.latencyMs)} ms · ${word}`;
}

/** A preflight that waited for the server to load its model says how long, for the log. */
export const loadingWaitText = (result: Pick<PreflightResult, 'loadingWaitMs'>): string =>
  result.loadingWaitMs
    ? `, after waiting ${(result.loadingWaitMs / 1000).toFixed(1)} s while the server loaded its model`
    : '';
