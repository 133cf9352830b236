export type ScriptedAnswer = string | { toolCall: { name: string; arguments: Record<string, unknown> } };
export interface AnswerPair {
  hit: ScriptedAnswer;
  miss: ScriptedAnswer;
}
export function suiteAnswers(suiteId?: string): Record<string, AnswerPair>;
export function suiteProgramme(overrides?: Record<string, unknown>, suiteId?: string): Record<string, unknown>;
/** A suite as model-gate loads it: what the answers are built from. */
export interface LoadedSuite {
  scorer: { kind: string };
  tools?: unknown[];
  scenarios: readonly {
    anomaly: boolean | null;
    keywords: string[];
    prompt?: string;
    expect?: unknown;
    image: { sha256: string } | null;
  }[];
}
export function answersFor(suite: LoadedSuite): Record<string, AnswerPair>;
export function programmeFor(suite: LoadedSuite, overrides?: Record<string, unknown>): Record<string, unknown>;
