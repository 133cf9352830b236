// Baseline files, baselines/<suite>/<target>.json: what a target measured when its setup was
// accepted, with a bounded history of earlier runs of the same setup so run-to-run noise is known.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { suiteSizeReportSchema, type SuiteSizeReport } from '../suite-sizes.js';

import { baselineError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/files.js';
import {
  MAX_SCENARIO_CALLS,
  recordedMetrics,
  scenarioOutcomeSchema,
  type Metrics,
  type ScenarioOutcome,
} from '../measure/metrics.js';
import { keyedRecord } from '../lib/records.js';
import { MAX_BASELINE_BYTES } from '../lib/trusted.js';
import { METRIC_NAMES, METRICS, SAMPLE_SERIES, SAMPLE_SERIES_NAMES, type SampleSeries } from '../metric-catalog.js';
import type { Sample } from '../run/sample.js';
import { issueSentence } from '../lib/schema-issues.js';
import { defined } from '../lib/defined.js';

const sizeText = (size: SuiteSizeReport) =>
  size.preset === 'custom' ? `${size.scenarios} scenarios` : `${size.preset} (${size.scenarios} scenarios)`;

export const BASELINE_SCHEMA_VERSION = 1;
/** Runs kept per baseline: enough to estimate run-to-run drift, small enough to review in a diff. */
export const MAX_BASELINE_RUNS = 10;

/** More scenarios than any suite holds. */
const MAX_SCENARIOS = 100_000;

const samplesByScenario = z
  .record(z.string().max(200), z.array(z.number().min(0).max(1e9)).max(MAX_SCENARIO_CALLS))
  .transform((series) => keyedRecord(series));
/** Series added after the first baselines: absent in older files, which then have no history to compare. */
const SERIES_ADDED_LATER = new Set<SampleSeries>(['interTokenMeanMs', 'interTokenP95Ms', 'serverTokensPerSecond']);

export const baselineRunSchema = z.object({
  runId: z.string(),
  createdAt: z.string(),
  toolVersion: z.string(),
  model: z.string(),
  serverVersion: z.string().nullable(),
  scenarios: z.array(scenarioOutcomeSchema).max(MAX_SCENARIOS),
  // One per-scenario series per entry of the catalog's SAMPLE_SERIES.
  ...(Object.fromEntries(
    SAMPLE_SERIES_NAMES.map((series) => [
      series,
      SERIES_ADDED_LATER.has(series) ? samplesByScenario.default({}) : samplesByScenario,
    ]),
  ) as Record<SampleSeries, typeof samplesByScenario>),
  coldStartMs: z.number().min(0).nullable(),
  metrics: z.record(z.string().max(200), z.number().nullable()),
});

export const baselineSettingsSchema = z.object({
  warmRuns: z.number().int(),
  concurrency: z.number().int(),
  /** Absent in baselines from before latency had its own concurrency: there, concurrency was it. */
  latencyConcurrency: z.number().int().optional(),
  timeoutMs: z.number(),
  temperature: z.number(),
  maxTokens: z.number().int(),
  jsonMode: z.string(),
  /** Tool-call suites only: native function calling or tools described in the prompt. */
  toolMode: z.enum(['native', 'json']).optional(),
  /** Written from the merged reports of this many shards (absent: one run, unsharded). */
  shards: z.number().int().optional(),
});

export const baselineSchema = z.object({
  schemaVersion: z.literal(BASELINE_SCHEMA_VERSION),
  /** size: the suite size the baseline was measured at (absent from baselines of older versions). */
  suite: z.object({
    id: z.string(),
    version: z.number().int(),
    fingerprint: z.string(),
    size: suiteSizeReportSchema.optional(),
  }),
  target: z.object({ name: z.string(), kind: z.string() }),
  settings: baselineSettingsSchema,
  /** Newest first. */
  runs: z.array(baselineRunSchema).min(1).max(MAX_BASELINE_RUNS),
});

export type Baseline = z.infer<typeof baselineSchema>;
export type BaselineRun = z.infer<typeof baselineRunSchema>;
export type BaselineSettings = z.infer<typeof baselineSettingsSchema>;
export type BaselineIdentity = Pick<Baseline, 'suite' | 'target' | 'settings'>;

export const baselinePath = (dir: string, suiteId: string, targetName: string) =>
  join(dir, suiteId, `${targetName}.json`);

const REFRESH = 'Write a new one with mode: baseline (CLI: model-gate baseline) and commit it';
const refreshInSentence = `w${REFRESH.slice(1)}`;

const tooLarge = (source: string) =>
  baselineError(
    `Baseline file ${source} is larger than ${MAX_BASELINE_BYTES / 1024 / 1024} MB, more than any run writes. Restore it from git or ${refreshInSentence}.`,
  );

/** A baseline file's text, or undefined where there is none; a file larger than any run writes is refused. */
export function readBaselineText(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  // Checked before reading, so a huge file is never read whole.
  if (statSync(path).size > MAX_BASELINE_BYTES) throw tooLarge(path);
  return readFileSync(path, 'utf8');
}

export function readBaseline(path: string): Baseline | undefined {
  const text = readBaselineText(path);
  return text === undefined ? undefined : parseBaseline(text, path);
}

/** A baseline from its text; `source` names it in errors (a path, or a path at a commit). */
export function parseBaseline(text: string, source: string): Baseline {
  if (text.length > MAX_BASELINE_BYTES) throw tooLarge(source);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw baselineError(
      `Baseline file ${source} is not valid JSON (${(error as Error).message}). Restore it from git (git checkout -- ${source}) or ${refreshInSentence}.`,
    );
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > BASELINE_SCHEMA_VERSION) {
    throw baselineError(
      `Baseline file ${source} has schema version ${version}, written by a newer model-gate; this one reads version ${BASELINE_SCHEMA_VERSION}. Update the action (or CLI) to the version that wrote it.`,
    );
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first baseline issue');
    throw baselineError(
      `Baseline file ${source}: ${issueSentence(issue)}. The file was edited by hand or damaged: restore it from git or ${refreshInSentence}.`,
    );
  }
  for (const [index, run] of parsed.data.runs.entries()) {
    const mismatch = displayMismatch(run);
    if (mismatch)
      throw baselineError(
        `Baseline file ${source}: runs[${index}].metrics.${mismatch.metric} says ${mismatch.shown}, but the run's own counts and samples give ${mismatch.recorded}. The file was edited by hand or damaged: restore it from git or ${refreshInSentence}.`,
      );
  }
  return parsed.data;
}

/**
 * The first displayed metric that the run's counts and samples do not give. The tables show the
 * displayed metrics and the tests read the counts and samples, so the two must agree. A series
 * that older versions did not keep is empty there and is not checked (nothing is gated on it).
 */
function displayMismatch(run: BaselineRun): { metric: string; shown: string; recorded: string } | null {
  const recorded = recordedMetrics({
    scenarios: run.scenarios,
    series: Object.fromEntries(SAMPLE_SERIES_NAMES.map((series) => [series, run[series]])) as Record<
      SampleSeries,
      Record<string, number[]>
    >,
    coldStartMs: run.coldStartMs,
  });
  for (const name of METRIC_NAMES) {
    const measure = METRICS[name].measure;
    if ('series' in measure && SERIES_ADDED_LATER.has(measure.series) && Object.keys(run[measure.series]).length === 0)
      continue;
    // A metric added to the catalog after the file was written: nothing shown to disagree with.
    if (!(name in run.metrics)) continue;
    const shown = run.metrics[name] ?? null;
    const expected = recorded[name].value;
    const agrees =
      shown === expected ||
      (shown !== null && expected !== null && Math.abs(shown - expected) <= 0.011 + 1e-9 * Math.abs(expected));
    if (!agrees) return { metric: name, shown: String(shown), recorded: String(expected) };
  }
  return null;
}

/** Why a baseline cannot be compared with this run, or null when it can. */
export function incomparableReason(baseline: Baseline, current: BaselineIdentity, path: string): string | null {
  if (baseline.suite.fingerprint !== current.suite.fingerprint) {
    const [before, now] = [baseline.suite.size, current.suite.size];
    if (before && now && (before.preset !== now.preset || before.scenarios !== now.scenarios)) {
      // The same preset with another count: a new version resized the preset, and the old count,
      // as a number, draws the baseline's scenarios again.
      const sameSize = before.preset === 'custom' || before.preset === now.preset ? before.scenarios : before.preset;
      return `The baseline ${path} was measured with suite ${baseline.suite.id} at size ${sizeText(before)}; this run used size ${sizeText(now)}. Run with suite-size ${sameSize} to compare with it, or ${REFRESH.charAt(0).toLowerCase()}${REFRESH.slice(1)} at the new size.`;
    }
    return `The baseline ${path} was measured with suite ${baseline.suite.id} v${baseline.suite.version} (fingerprint ${baseline.suite.fingerprint.slice(7, 19)}); this run used v${current.suite.version} (${current.suite.fingerprint.slice(7, 19)}): the suite changed. ${REFRESH}.`;
  }
  // Settings that change what is asked or how latency behaves; warm runs, timeout and the
  // concurrency of quality-only runs do not.
  const settingsOf = (settings: Baseline['settings']) => ({
    ...settings,
    latencyConcurrency: settings.latencyConcurrency ?? settings.concurrency,
    shards: settings.shards ?? 1,
  });
  const [before, now] = [settingsOf(baseline.settings), settingsOf(current.settings)];
  const keys = ['latencyConcurrency', 'temperature', 'maxTokens', 'jsonMode', 'toolMode', 'shards'] as const;
  const differing = keys.filter((key) => before[key] !== now[key]);
  if (differing.length > 0) {
    const detail = differing.map((key) => `${key} ${before[key]} → ${now[key]}`).join(', ');
    return `The baseline ${path} was measured with other settings (${detail}), so the two runs do not measure the same thing. ${REFRESH}, or run with the baseline's settings.`;
  }
  return null;
}

function samplesOf(samples: readonly Sample[], pick: (sample: Sample) => number | null): Record<string, number[]> {
  const byScenario = keyedRecord<number[]>();
  for (const sample of samples) {
    if (sample.phase !== 'warm' || sample.errorClass !== null || !sample.timed) continue;
    const value = pick(sample);
    if (value === null) continue;
    (byScenario[sample.scenario] ??= []).push(value);
  }
  return byScenario;
}

export interface RunForBaseline {
  runId: string;
  createdAt: string;
  toolVersion: string;
  model: string;
  serverVersion: string | null;
  scenarios: ScenarioOutcome[];
  metrics: Metrics;
  samples: readonly Sample[];
}

export function baselineRun(run: RunForBaseline): BaselineRun {
  return {
    runId: run.runId,
    createdAt: run.createdAt,
    toolVersion: run.toolVersion,
    model: run.model,
    serverVersion: run.serverVersion,
    scenarios: run.scenarios,
    ...(Object.fromEntries(
      SAMPLE_SERIES_NAMES.map((series) => [series, samplesOf(run.samples, (sample) => sample[SAMPLE_SERIES[series]])]),
    ) as Record<SampleSeries, Record<string, number[]>>),
    coldStartMs: run.metrics.coldStartMs.value,
    metrics: Object.fromEntries(METRIC_NAMES.map((name) => [name, run.metrics[name].value])),
  };
}

/**
 * The baseline after adding a run: prepended to a comparable baseline's history (a run already
 * there, by id, is replaced, so writing twice changes nothing), or a fresh baseline otherwise.
 */
export function withRun(
  existing: Baseline | undefined,
  identity: BaselineIdentity,
  run: BaselineRun,
  path: string,
): Baseline {
  const keep =
    existing && incomparableReason(existing, identity, path) === null
      ? existing.runs.filter((entry) => entry.runId !== run.runId)
      : [];
  return { schemaVersion: BASELINE_SCHEMA_VERSION, ...identity, runs: [run, ...keep].slice(0, MAX_BASELINE_RUNS) };
}

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileAtomic(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
