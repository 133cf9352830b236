// Pure scorers for one model answer: is it JSON, does it meet the suite's output schema, did it
// flag anything, and did what it flagged name the planted anomaly.
import { Ajv, type ValidateFunction } from 'ajv';
import type { FlaggedItemsScorer } from '../suite/schema.js';

export interface AnswerScore {
  jsonValid: boolean;
  schemaValid: boolean;
  /** The answer listed at least one item. */
  flagged: boolean;
  /** A listed item mentions one of the scenario's keywords. */
  detected: boolean;
  matchedKeywords: string[];
  /** Why the answer failed its schema, if it did (first error, ajv's wording). */
  schemaError?: string;
}

export type AnswerScorer = (answer: string, keywords: readonly string[]) => AnswerScore;

/** Lower case without accents, so "Durée", "duree" and "DUREE" all match. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

export function parseJsonAnswer(answer: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(answer.trim()) };
  } catch {
    return { ok: false };
  }
}

function flaggedTexts(value: unknown, scorer: FlaggedItemsScorer): string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const list = (value as Record<string, unknown>)[scorer.list];
  if (!Array.isArray(list)) return undefined;
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item !== 'object' || item === null) return '';
    return scorer.fields.map((field) => (item as Record<string, unknown>)[field]).filter((text) => typeof text === 'string').join(' ');
  });
}

// One Ajv instance per process, as ajv recommends: building one compiles its meta-schemas (tens of ms).
let sharedAjv: Ajv | undefined;

export function compileAnswerScorer(outputSchema: Record<string, unknown>, scorer: FlaggedItemsScorer): AnswerScorer {
  sharedAjv ??= new Ajv({ strict: false, allErrors: false });
  const validate: ValidateFunction = sharedAjv.compile(outputSchema);
  // A scenario's keywords are scored on every call: fold them once.
  const foldedKeywords = new WeakMap<readonly string[], string[]>();
  return (answer, keywords) => {
    const parsed = parseJsonAnswer(answer);
    if (!parsed.ok) return { jsonValid: false, schemaValid: false, flagged: false, detected: false, matchedKeywords: [] };
    const schemaValid = validate(parsed.value) === true;
    const schemaError = schemaValid ? undefined : `${validate.errors?.[0]?.instancePath || '/'} ${validate.errors?.[0]?.message ?? ''}`.trim();
    const texts = flaggedTexts(parsed.value, scorer) ?? [];
    const haystack = foldText(texts.join(' \n '));
    let folded = foldedKeywords.get(keywords);
    if (!folded) foldedKeywords.set(keywords, (folded = keywords.map(foldText)));
    const matchedKeywords = keywords.filter((_, index) => haystack.includes(folded[index]!));
    return {
      jsonValid: true,
      schemaValid,
      flagged: texts.length > 0,
      detected: matchedKeywords.length > 0,
      matchedKeywords,
      ...(schemaError ? { schemaError } : {}),
    };
  };
}
