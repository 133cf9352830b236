// report.json: the versioned, documented record of one run (docs/report-schema.md describes it).
import { z } from 'zod';
import { suiteSizeReportSchema } from '../suite-sizes.js';
import { modeSchema, runSettingsSchema } from '../config/schema.js';
import { coldStartNoteSchema, preflightResultSchema } from '../endpoint/types.js';
import { retrySummarySchema } from '../run/retry.js';
import { outageSchema } from '../run/server-watch.js';
import { baselineUseSchema, flipSchema } from '../gate/apply-baselines.js';
import { metricVerdictSchema } from '../gate/rules.js';
import { thresholdCheckSchema } from '../gate/thresholds.js';
import { runStatusSchema, verdictSchema } from '../gate/verdict.js';
import { CALL_PROBLEMS } from '../measure/call-outcome.js';
import { targetMeasurementSchema } from '../measure/metrics.js';
import { targetCostSchema } from '../compare/cost.js';
import { comparisonSchema } from '../compare/paired.js';

export const REPORT_SCHEMA_VERSION = 1;
export const REPORT_FILE = 'report.json';
export const SUMMARY_FILE = 'summary.md';
export const SAMPLES_FILE = 'samples.jsonl';
export const COMMENT_FILE = 'comment.md';
export const JUNIT_FILE = 'junit.xml';

export const targetReportSchema = z.object({
  name: z.string(),
  kind: z.string(),
  /** Credentials in the URL are removed. */
  baseUrl: z.string(),
  model: z.string(),
  jsonMode: z.string(),
  preflight: preflightResultSchema,
  /** How the cold call's state was reached: unloaded (Ollama), reset-command, or first-call (nothing reset). */
  coldStart: coldStartNoteSchema.nullable().default(null),
  /** Medians of what the server itself reported (llama.cpp timings, Ollama durations), next to the client's figures. */
  serverTimings: z
    .object({
      source: z.string(),
      calls: z.number().int(),
      promptMsP50: z.number().nullable(),
      decodeMsP50: z.number().nullable(),
      coldLoadMs: z.number().nullable(),
    })
    .nullable()
    .default(null),
  /** Transient failures retried (each still in the error rate), by class, against the run's budget. */
  retries: retrySummarySchema.nullable().default(null),
  /** Why the target's calls stopped before the plan was done (its endpoint stopped answering); null otherwise. */
  stopped: z.string().nullable().default(null),
  /** Times the server stopped answering during the run: when, for how long (null: it did not come back), why, and the calls lost. */
  outages: z.array(outageSchema).default([]),
  /** The last lines of the server's output, where model-gate started it (server.start) and it failed; untrusted text. */
  serverLog: z.string().nullable().default(null),
  plannedCalls: z.number().int(),
  completedCalls: z.number().int(),
  /** Extra warm calls the gate made to confirm a suspicious change (not in the metrics). */
  confirmationCalls: z.number().int(),
  measurement: targetMeasurementSchema.nullable(),
  /** What the target costs per scenario (and per month, self-hosted), from its configured prices. */
  cost: targetCostSchema.nullable().default(null),
  /** Gated metrics over the baseline's runs (oldest first) and this run, last; null where not measured. */
  trends: z.record(z.string(), z.array(z.number().nullable())),
  /** Scenarios whose outcome changed since the baseline's latest run (majority of runs). */
  flips: z.array(flipSchema),
  /** A few calls worth a look (misses, false alarms, bad JSON, errors); excerpts are untrusted text. */
  notableSamples: z.array(
    z.object({
      scenario: z.string(),
      run: z.number().int(),
      /** low-score: the suite's primary score (entity recall, tool routing, coordinate hits) under its pass mark. */
      problem: z.enum(CALL_PROBLEMS),
      excerpt: z.string(),
      errorClass: z.string().nullable(),
      errorMessage: z.string().nullable(),
    }),
  ),
});

export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('model-gate'), version: z.string() }),
  status: runStatusSchema,
  verdict: verdictSchema,
  verdictReason: z.string(),
  mode: modeSchema,
  /** Metrics that regressed (beyond margin and significant), over all targets. */
  regressions: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** `file`: the YAML file of a user's suite (absent for built-in suites). */
  suite: z
    .object({
      id: z.string(),
      version: z.number(),
      title: z.string(),
      fingerprint: z.string(),
      scenarios: z.number().int(),
      /** The size it ran at; absent from reports of older versions. */
      size: suiteSizeReportSchema.optional(),
      /** The generators its generated scenarios came from, with their versions and seeds. */
      families: z
        .array(z.object({ generator: z.string(), version: z.number().nullable(), seed: z.number() }))
        .optional(),
      file: z.string().optional(),
    })
    .nullable(),
  // Reports of older versions lack the settings added since.
  settings: runSettingsSchema
    .partial({ latencyConcurrency: true, latencyRuns: true, retries: true, readyTimeoutMs: true })
    .nullable(),
  thresholds: z.record(z.string(), z.number()),
  targets: z.array(targetReportSchema),
  thresholdChecks: z.array(thresholdCheckSchema),
  gate: z
    .object({
      alpha: z.number(),
      onRegression: z.enum(['fail', 'warn']),
      confirmRuns: z.boolean(),
      confirmed: z.boolean(),
    })
    .nullable(),
  baselines: z.array(baselineUseSchema),
  metricVerdicts: z.array(metricVerdictSchema),
  /** Sharded runs: this shard's index (null for the merge of all of them), the shard count, the scenarios covered. */
  shard: z
    .object({ index: z.number().int().nullable(), count: z.number().int(), scenarios: z.array(z.string()) })
    .nullable()
    .default(null),
  /** A-versus-B comparisons of targets run interleaved (compare-to). */
  comparisons: z.array(comparisonSchema).default([]),
  error: z.object({ kind: z.string(), message: z.string() }).nullable(),
  files: z.object({ samples: z.string(), summary: z.string(), comment: z.string(), junit: z.string() }),
});

export type Report = z.infer<typeof reportSchema>;
export type TargetReport = z.infer<typeof targetReportSchema>;
