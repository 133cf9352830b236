export interface AnswerPair {
  hit: string;
  miss: string;
}
export function suiteAnswers(suiteId?: string): Record<string, AnswerPair>;
export function suiteProgramme(overrides?: Record<string, unknown>, suiteId?: string): Record<string, unknown>;
