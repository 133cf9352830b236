// One record per call, appended to samples.jsonl the moment the call completes.
import { z } from 'zod';

export const sampleSchema = z.object({
  target: z.string(),
  scenario: z.string(),
  category: z.string(),
  /** flagged-items suites: whether the screen holds a planted anomaly; null for other suites. */
  anomaly: z.boolean().nullable(),
  /** 0 for the cold call, 1..warm-runs for warm calls, beyond that for confirmation calls. */
  run: z.number().int().min(0),
  /** confirm: extra warm calls the gate asked for to settle a suspicious change. */
  phase: z.enum(['cold', 'warm', 'confirm']),
  /** 1 for a call's first attempt; more when a transient failure was retried. */
  attempt: z.number().int().min(1).default(1),
  /** This attempt failed transiently and was retried: it counts in the error rate, not in quality or latency. */
  retried: z.boolean().default(false),
  /** Taken at the latency concurrency: it counts for latency. Quality-only runs at a higher concurrency do not. */
  timed: z.boolean().default(true),
  startedAt: z.string(),
  /** Sent as X-Request-Id: vLLM and others log it, so a sample can be found in the server's log. */
  requestId: z.string().nullable().default(null),
  latencyMs: z.number(),
  ttftMs: z.number().nullable(),
  outputTokens: z.number().nullable(),
  outputTokensSource: z.enum(['server', 'chunks']).nullable(),
  /** Decode speed: tokens after the first one over the time after the first token. */
  outputTokensPerSecond: z.number().nullable(),
  /** Inter-token latency of this call: the gaps between streamed chunks after the first. */
  interTokenMeanMs: z.number().nullable().default(null),
  interTokenP95Ms: z.number().nullable().default(null),
  /** The server's own timings, next to the client's figures, where the server reports them. */
  serverTimings: z
    .object({
      source: z.enum(['llama.cpp', 'ollama']),
      loadMs: z.number().nullable(),
      promptMs: z.number().nullable(),
      promptTokens: z.number().nullable(),
      decodeMs: z.number().nullable(),
      outputTokens: z.number().nullable(),
    })
    .nullable()
    .default(null),
  jsonValid: z.boolean(),
  schemaValid: z.boolean(),
  flagged: z.boolean(),
  detected: z.boolean(),
  matchedKeywords: z.array(z.string()),
  /** The suite scorer's scores of this answer, each 0 to 1 (entityRecall, toolAccuracy…); an error scores 0. */
  scores: z.record(z.string(), z.number()).default({}),
  /** The tool the model called, for tool-call suites (native call or JSON fallback). */
  tool: z.string().nullable().default(null),
  /** Prompt tokens as the server reported them (usage.prompt_tokens, Ollama's prompt_eval_count). */
  inputTokens: z.number().nullable().default(null),
  finishReason: z.string().nullable(),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** The start of the model's answer, untrusted text: escape before showing. */
  excerpt: z.string(),
});

export type Sample = z.infer<typeof sampleSchema>;
