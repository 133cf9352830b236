// Scores an extraction answer (text, entities, relations read off a slide) against ground truth:
// OCR word similarity (Jaccard and recall), entity recall and precision with aliases, relation recall.
import type { Entity, Expectation, ExtractionScorer } from '../suite/schema.js';
import { compactKey, isRecord, wordSet } from './text.js';

export interface ExtractionScores {
  ocrJaccard: number;
  ocrRecall: number;
  entityRecall: number;
  entityPrecision: number;
  /** Absent when the image shows no relation. */
  relationRecall?: number;
}

const entityKeys = (entity: Entity) =>
  (typeof entity === 'string' ? [entity] : [entity.name, ...entity.aliases]).map(compactKey);

/** Maps any spelling of an expected entity (its name or an alias) to that entity's index. */
function entityIndex(entities: readonly Entity[]): Map<string, number> {
  const index = new Map<string, number>();
  entities.forEach((entity, position) => {
    for (const key of entityKeys(entity)) if (key && !index.has(key)) index.set(key, position);
  });
  return index;
}

const stringsOf = (value: unknown): string[] =>
  Array.isArray(value)
    ? value
        .map((item) =>
          typeof item === 'string' ? item : isRecord(item) && typeof item.name === 'string' ? item.name : null,
        )
        .filter((item): item is string => item !== null)
    : [];

export function scoreExtraction(answer: unknown, expect: Expectation, scorer: ExtractionScorer): ExtractionScores {
  const fields = isRecord(answer) ? answer : {};
  const expectedWords = wordSet(expect.text ?? '');
  const answerText = fields[scorer.text];
  const answerWords = wordSet(typeof answerText === 'string' ? answerText : '');
  const common = [...expectedWords].filter((word) => answerWords.has(word)).length;
  const union = expectedWords.size + answerWords.size - common;

  const expectedEntities = expect.entities ?? [];
  const index = entityIndex(expectedEntities);
  const answered = [...new Set(stringsOf(fields[scorer.entities]).map(compactKey).filter(Boolean))];
  const found = new Set(answered.map((key) => index.get(key)).filter((position) => position !== undefined));
  const correct = answered.filter((key) => index.has(key)).length;

  const scores: ExtractionScores = {
    ocrJaccard: union === 0 ? 1 : common / union,
    ocrRecall: expectedWords.size === 0 ? 1 : common / expectedWords.size,
    entityRecall: expectedEntities.length === 0 ? 1 : found.size / expectedEntities.length,
    // An answer that names nothing is right about nothing, unless there was nothing to name.
    entityPrecision: answered.length === 0 ? (expectedEntities.length === 0 ? 1 : 0) : correct / answered.length,
  };
  const expectedRelations = expect.relations ?? [];
  if (expectedRelations.length > 0) {
    const resolve = (name: unknown) =>
      typeof name === 'string' ? (index.get(compactKey(name)) ?? compactKey(name)) : undefined;
    const answeredRelations = new Set(
      (Array.isArray(fields[scorer.relations]) ? (fields[scorer.relations] as unknown[]) : [])
        .filter(isRecord)
        .map(
          (relation) =>
            `${resolve(relation.from)}|${resolve(relation.to)}|${typeof relation.type === 'string' ? compactKey(relation.type) : ''}`,
        ),
    );
    const matched = expectedRelations.filter((relation) => {
      const from = resolve(relation.from);
      const to = resolve(relation.to);
      if (relation.type) return answeredRelations.has(`${from}|${to}|${compactKey(relation.type)}`);
      return [...answeredRelations].some((key) => key.startsWith(`${from}|${to}|`));
    }).length;
    scores.relationRecall = matched / expectedRelations.length;
  }
  return scores;
}
