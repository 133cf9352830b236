// One record per call, appended to samples.jsonl the moment the call completes.
import { z } from 'zod';
import { serverTimingsSchema, type CallOutcome } from '../endpoint/types.js';
import { round } from '../lib/round.js';
import type { AnswerScore } from '../score/answer.js';
import type { Scenario } from '../suite/schema.js';

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
  /** Decode speed: the server's count of tokens after the first one, over the time from the answer's first event to its end. */
  outputTokensPerSecond: z.number().nullable(),
  /** Decode speed as the server reports it (llama.cpp timings, Ollama eval), where it does. */
  serverTokensPerSecond: z.number().nullable().default(null),
  /** Inter-token latency of this call: the gaps between streamed chunks after the first. */
  interTokenMeanMs: z.number().nullable().default(null),
  interTokenP95Ms: z.number().nullable().default(null),
  /** The server's own timings, next to the client's figures, where the server reports them. */
  serverTimings: serverTimingsSchema.nullable().default(null),
  jsonValid: z.boolean(),
  schemaValid: z.boolean(),
  flagged: z.boolean(),
  detected: z.boolean(),
  matchedKeywords: z.array(z.string()),
  /** The suite scorer's scores of this answer, each 0 to 1 (entityRecall, toolAccuracy…); an error scores 0. */
  scores: z.record(z.string(), z.number()).default({}),
  /** The tool the model called, for tool-call suites (native call or JSON fallback). */
  tool: z.string().nullable().default(null),
  /** Native tool calls in the answer when tools were offered natively (tool-mode native); null otherwise. */
  nativeToolCalls: z.number().int().nullable().default(null),
  /** Prompt tokens as the server reported them (usage.prompt_tokens, Ollama's prompt_eval_count). */
  inputTokens: z.number().nullable().default(null),
  finishReason: z.string().nullable(),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** The start of the model's answer, untrusted text: escape before showing. */
  excerpt: z.string(),
});

export type Sample = z.infer<typeof sampleSchema>;

const EXCERPT_CHARS = 300;

/** What is known of one attempt of one call when it is recorded. */
export interface CallRecord {
  target: string;
  scenario: Pick<Scenario, 'id' | 'category' | 'anomaly'>;
  run: number;
  phase: Sample['phase'];
  timed: boolean;
  attempt: number;
  retried: boolean;
  startedAt: string;
  requestId: string;
  outcome: CallOutcome;
  score: AnswerScore;
  /** The tool the answer called, for tool-call suites. */
  tool: string | null;
  /** Whether the request offered tools natively (OpenAI tools). */
  nativeTools: boolean;
}

/** The text shown of an answer: its tool calls, or the start of its text. */
const answerExcerpt = (outcome: Pick<CallOutcome, 'text' | 'toolCalls'>) =>
  (outcome.toolCalls?.length
    ? outcome.toolCalls.map((entry) => `${entry.name}(${entry.arguments})`).join(' ')
    : outcome.text
  ).slice(0, EXCERPT_CHARS);

/** The sample of one recorded call. */
export function toSample(record: CallRecord): Sample {
  const { outcome, score } = record;
  const answered = outcome.errorClass === null;
  // From the answer's first event: a server that holds back its first tokens (llama.cpp under a
  // grammar) sends its first content late, and timing from there would overstate the rate.
  const decodeStart = outcome.decodeStartMs ?? outcome.ttftMs;
  const decodeMs = decodeStart === null ? 0 : outcome.latencyMs - decodeStart;
  const server = outcome.serverTimings;
  return {
    target: record.target,
    scenario: record.scenario.id,
    category: record.scenario.category,
    anomaly: record.scenario.anomaly,
    run: record.run,
    phase: record.phase,
    attempt: record.attempt,
    retried: record.retried,
    timed: record.timed,
    startedAt: record.startedAt,
    requestId: record.requestId,
    latencyMs: round(outcome.latencyMs),
    ttftMs: outcome.ttftMs === null ? null : round(outcome.ttftMs),
    outputTokens: outcome.outputTokens,
    outputTokensSource: outcome.outputTokensSource,
    // Chunks are not tokens (a server merges pieces into one chunk): a rate needs the server's count.
    outputTokensPerSecond:
      answered &&
      outcome.outputTokensSource === 'server' &&
      outcome.outputTokens !== null &&
      outcome.outputTokens > 1 &&
      decodeMs > 0
        ? round(((outcome.outputTokens - 1) * 1000) / decodeMs)
        : null,
    serverTokensPerSecond:
      answered && server?.outputTokens && server.decodeMs
        ? round((server.outputTokens * 1000) / server.decodeMs)
        : null,
    jsonValid: score.jsonValid,
    schemaValid: score.schemaValid,
    flagged: score.flagged,
    detected: score.detected,
    matchedKeywords: score.matchedKeywords,
    scores: score.scores,
    tool: record.tool,
    nativeToolCalls: record.nativeTools && answered ? (outcome.toolCalls?.length ?? 0) : null,
    inputTokens: outcome.inputTokens,
    finishReason: outcome.finishReason,
    interTokenMeanMs: answered ? outcome.interTokenMeanMs : null,
    interTokenP95Ms: answered ? outcome.interTokenP95Ms : null,
    serverTimings: outcome.serverTimings,
    errorClass: outcome.errorClass,
    errorMessage: outcome.errorMessage,
    excerpt: answerExcerpt(outcome),
  };
}
