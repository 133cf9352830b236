// The one interface every endpoint kind implements; the runner sees nothing else.

export interface ChatRequest {
  prompt: string;
  imageDataUrl: string;
  /** JSON Schema for servers that take one (json-mode json_schema). */
  outputSchema: Record<string, unknown>;
  signal: AbortSignal;
}

export type ErrorClass =
  | 'timeout'
  | 'cancelled'
  | 'connection-refused'
  | 'connection-reset'
  | 'connection'
  | 'invalid-response'
  | `http-${number}`;

export interface CallOutcome {
  text: string;
  latencyMs: number;
  /** Time to the first content token; null when no token arrived. */
  ttftMs: number | null;
  outputTokens: number | null;
  /** `server`: the server's usage report; `chunks`: counted from stream chunks (approximate). */
  outputTokensSource: 'server' | 'chunks' | null;
  finishReason: string | null;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
}

export interface PreflightResult {
  ok: boolean;
  /** One sentence saying what is wrong and what to do, when not ok. */
  diagnosis: string | null;
  servedModels: string[];
  /** What the server says of its own version, where it says it (vLLM, Ollama, TGI, llama.cpp). */
  serverVersion: string | null;
}

export interface Endpoint {
  preflight(signal: AbortSignal): Promise<PreflightResult>;
  call(request: ChatRequest): Promise<CallOutcome>;
}
