// The one interface every endpoint kind implements; the runner sees nothing else.
import { z } from 'zod';
import type { ToolCall, ToolDefinition } from '../suite/schema.js';

export interface ChatRequest {
  /** The suite's instructions as a system message, when the scenario brings its own user message. */
  system?: string;
  prompt: string;
  /** The scenario's image as a data: URL; null for text-only scenarios. */
  imageDataUrl: string | null;
  /** Functions offered through the server's native tool calling (tool-mode native). */
  tools?: readonly ToolDefinition[];
  /** JSON Schema for servers that take one (json-mode json_schema). */
  outputSchema: Record<string, unknown>;
  signal: AbortSignal;
  /** Sent as X-Request-Id, so that the sample can be found in the server's log. */
  requestId: string;
}

export type ErrorClass =
  | 'timeout'
  | 'cancelled'
  | 'connection-refused'
  | 'connection-reset'
  | 'connection'
  | 'invalid-response'
  | 'truncated-stream'
  | 'oversized-response'
  | `http-${number}`;

export interface CallOutcome {
  text: string;
  latencyMs: number;
  /** Time to the first content token; null when no token arrived. */
  ttftMs: number | null;
  /** Time to the answer's first streamed event (its role, or its first content), where decoding is under way. */
  decodeStartMs?: number | null;
  outputTokens: number | null;
  /** Prompt tokens as the server reports them (usage.prompt_tokens, Ollama's prompt_eval_count). */
  inputTokens: number | null;
  /** Native tool calls the model made, in order; null when it made none. */
  toolCalls: ToolCall[] | null;
  /** `server`: the server's usage report; `chunks`: counted from stream chunks (approximate). */
  outputTokensSource: 'server' | 'chunks' | null;
  finishReason: string | null;
  /** Gaps between streamed content chunks after the first (inter-token latency), mean and p95; null under two chunks. */
  interTokenMeanMs: number | null;
  interTokenP95Ms: number | null;
  /** What the server itself reports of its timings (llama.cpp `timings`, Ollama durations), where it does. */
  serverTimings: ServerTimings | null;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
}

export const serverTimingsSchema = z.object({
  source: z.enum(['llama.cpp', 'ollama']),
  /** Loading the model into memory (Ollama's load_duration). */
  loadMs: z.number().nullable(),
  promptMs: z.number().nullable(),
  promptTokens: z.number().nullable(),
  decodeMs: z.number().nullable(),
  outputTokens: z.number().nullable(),
});
export type ServerTimings = z.infer<typeof serverTimingsSchema>;

export const preflightResultSchema = z.object({
  ok: z.boolean(),
  /** One sentence saying what is wrong and what to do, when not ok. */
  diagnosis: z.string().nullable(),
  servedModels: z.array(z.string()),
  /** What the server says of its own version, where it says it (vLLM, Ollama, TGI, llama.cpp). */
  serverVersion: z.string().nullable(),
  /** How long the preflight waited for the server to load its model (absent: it did not wait). */
  loadingWaitMs: z.number().optional(),
});
export type PreflightResult = z.infer<typeof preflightResultSchema>;

/** How the cold call's server state was reached. */
export const coldStartNoteSchema = z.object({
  /** unloaded: the model was unloaded and seen gone; reset-command: the target's command ran and the server came back; first-call: nothing was reset. */
  method: z.enum(['unloaded', 'reset-command', 'first-call']),
  detail: z.string(),
});
export type ColdStartNote = z.infer<typeof coldStartNoteSchema>;

export interface Endpoint {
  /** `notify` hears how a wait for a server still loading its model goes. */
  preflight(signal: AbortSignal, notify?: (message: string) => void): Promise<PreflightResult>;
  call(request: ChatRequest): Promise<CallOutcome>;
  /** Puts the server in a cold state before the cold call, where the kind can (Ollama: unload). Throws a ModelGateError-worthy message when it cannot. */
  makeCold?(signal: AbortSignal): Promise<ColdStartNote>;
  /** The URL polled for readiness after a cold-start command. */
  readinessUrl: string;
}
