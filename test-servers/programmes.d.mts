export type ScriptedAnswer = string | { toolCall: { name: string; arguments: Record<string, unknown> } };
export interface AnswerPair {
  hit: ScriptedAnswer;
  miss: ScriptedAnswer;
}
export function suiteAnswers(suiteId?: string): Record<string, AnswerPair>;
export function suiteProgramme(overrides?: Record<string, unknown>, suiteId?: string): Record<string, unknown>;
