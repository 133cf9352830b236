// Pure scoring of one model answer: is it JSON, does it meet the suite's output schema, and what the
// suite's scorer makes of it — flagged items and planted anomalies, extraction against ground truth,
// tool routing, or coordinates. Scores are fractions from 0 to 1, keyed by name (score-metrics.ts).
import { Ajv, type ValidateFunction } from 'ajv';
import type { FlaggedItemsScorer, Scenario, Suite } from '../suite/schema.js';
import { scoreCoordinates } from './coordinates.js';
import { scoreExtraction } from './extraction.js';
import { foldText, isRecord, parseJsonAnswer } from './text.js';
import type { ToolCall } from '../suite/schema.js';
import { routedCall, scoreToolCall } from './tool-call.js';

export { foldText, parseJsonAnswer } from './text.js';

export interface AnswerScore {
  jsonValid: boolean;
  schemaValid: boolean;
  /** flagged-items: the answer listed at least one item. */
  flagged: boolean;
  /** flagged-items: a listed item mentions one of the scenario's keywords. */
  detected: boolean;
  matchedKeywords: string[];
  /** The other scorers' scores, each from 0 to 1 (entityRecall, toolAccuracy, coordinateHit…). */
  scores: Record<string, number>;
  /** Why the answer failed its schema, if it did (first error, ajv's wording). */
  schemaError?: string;
}

export interface ModelAnswer {
  text: string;
  toolCalls: readonly ToolCall[] | null;
}

export type AnswerScorer = (answer: ModelAnswer, scenario: Scenario) => AnswerScore;

export const UNANSWERED: AnswerScore = {
  jsonValid: false,
  schemaValid: false,
  flagged: false,
  detected: false,
  matchedKeywords: [],
  scores: {},
};

function flaggedTexts(value: unknown, scorer: FlaggedItemsScorer): string[] | undefined {
  if (!isRecord(value)) return undefined;
  const list = value[scorer.list];
  if (!Array.isArray(list)) return undefined;
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (!isRecord(item)) return '';
    return scorer.fields
      .map((field) => item[field])
      .filter((text) => typeof text === 'string')
      .join(' ');
  });
}

// One Ajv instance per process, as ajv recommends: building one compiles its meta-schemas (tens of ms).
let sharedAjv: Ajv | undefined;

// Ajv caches what it compiled by schema object; a suite loaded again holds new objects with the
// same content, so the validators are cached by content (compiling one takes a few milliseconds,
// and Ajv's own cache would keep every copy).
const validators = new Map<string, ValidateFunction>();

function compiledSchema(schema: Record<string, unknown>): ValidateFunction {
  // The same suite file parses to the same key order; a differently ordered copy only compiles once more.
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    sharedAjv ??= new Ajv({ strict: false, allErrors: false });
    validators.set(key, (validate = sharedAjv.compile(schema)));
  }
  return validate;
}

const firstError = (validate: ValidateFunction) =>
  `${validate.errors?.[0]?.instancePath || '/'} ${validate.errors?.[0]?.message ?? ''}`.trim();

export function compileAnswerScorer(suite: Pick<Suite, 'output' | 'scorer' | 'tools' | 'image'>): AnswerScorer {
  const validate = compiledSchema(suite.output.schema);
  const toolValidators = new Map((suite.tools ?? []).map((tool) => [tool.name, compiledSchema(tool.parameters)]));
  const scorer = suite.scorer;
  // A scenario's keywords are scored on every call: fold them once.
  const foldedKeywords = new WeakMap<readonly string[], string[]>();

  return (answer, scenario) => {
    if (scorer.kind === 'tool-call') {
      const call = routedCall(answer.text, answer.toolCalls);
      const native = Boolean(answer.toolCalls?.length);
      // A native call's arguments answer to the tool's parameter schema; a fallback answer to the suite's.
      const check = native ? toolValidators.get(call.tool ?? '') : validate;
      const schemaValid = call.jsonValid && check !== undefined && check(native ? call.arguments : call.value);
      const schemaError =
        !schemaValid && check ? firstError(check) : !schemaValid && native ? `no tool named "${call.tool}"` : undefined;
      const scores = scoreToolCall(call, answer.text, scenario.expect ?? {});
      return {
        jsonValid: call.jsonValid,
        schemaValid,
        flagged: false,
        detected: false,
        matchedKeywords: [],
        scores: { ...scores },
        ...(schemaError ? { schemaError } : {}),
      };
    }
    const parsed = parseJsonAnswer(answer.text);
    if (!parsed.ok) return { ...UNANSWERED, scores: zeroScores(suite, scenario) };
    const schemaValid = validate(parsed.value);
    const schemaError = schemaValid ? undefined : firstError(validate);
    const base = {
      jsonValid: true,
      schemaValid,
      flagged: false,
      detected: false,
      matchedKeywords: [] as string[],
      ...(schemaError ? { schemaError } : {}),
    };
    if (scorer.kind === 'extraction')
      return { ...base, scores: { ...scoreExtraction(parsed.value, scenario.expect ?? {}, scorer) } };
    if (scorer.kind === 'coordinates')
      return {
        ...base,
        scores: { ...scoreCoordinates(parsed.value, scenario.expect ?? {}, scorer, suite.image, schemaValid) },
      };

    const texts = flaggedTexts(parsed.value, scorer) ?? [];
    const haystack = foldText(texts.join(' \n '));
    let folded = foldedKeywords.get(scenario.keywords);
    if (!folded) foldedKeywords.set(scenario.keywords, (folded = scenario.keywords.map(foldText)));
    const matchedKeywords = scenario.keywords.filter((_, index) => haystack.includes(folded[index] ?? ''));
    return { ...base, flagged: texts.length > 0, detected: matchedKeywords.length > 0, matchedKeywords, scores: {} };
  };
}

/** The scores of an answer that could not be read: zero for everything the scenario scores. */
export function zeroScores(suite: Pick<Suite, 'scorer'>, scenario: Scenario): Record<string, number> {
  if (suite.scorer.kind === 'extraction') {
    return {
      ocrJaccard: 0,
      ocrRecall: 0,
      entityRecall: 0,
      entityPrecision: 0,
      ...(scenario.expect?.relations?.length ? { relationRecall: 0 } : {}),
    };
  }
  if (suite.scorer.kind === 'coordinates') return { coordinateHit: 0, formatAdherence: 0 };
  if (suite.scorer.kind === 'tool-call') {
    return {
      toolAccuracy: 0,
      ...(Object.keys(scenario.expect?.arguments ?? {}).length ? { argumentMatch: 0 } : {}),
      ...(scenario.expect?.keywords?.length ? { keywordMatch: 0 } : {}),
    };
  }
  return {};
}
