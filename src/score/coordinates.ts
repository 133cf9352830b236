// Scores a pointing answer: each expected point is hit when the answer's point of the same label
// lies within the tolerance; the format holds when every point is a label with numbers inside the image.
import type { CoordinatesScorer, Expectation } from '../suite/schema.js';
import { foldText, isRecord } from './text.js';

export interface CoordinatesScores {
  coordinateHit: number;
  formatAdherence: number;
}

export function scoreCoordinates(
  answer: unknown,
  expect: Expectation,
  scorer: CoordinatesScorer,
  size: { width: number; height: number } | undefined,
  schemaValid: boolean,
): CoordinatesScores {
  const list = isRecord(answer) ? answer[scorer.list] : undefined;
  const points = (Array.isArray(list) ? list : []).filter(isRecord);
  const wellFormed =
    Array.isArray(list) &&
    points.length === list.length &&
    points.every(
      (point) =>
        typeof point.label === 'string' &&
        typeof point.x === 'number' &&
        typeof point.y === 'number' &&
        point.x >= 0 &&
        point.y >= 0 &&
        (!size || (point.x <= size.width && point.y <= size.height)),
    );
  const expected = expect.points ?? [];
  const hits = expected.filter((truth) => {
    const answered = points.find(
      (point) => typeof point.label === 'string' && foldText(point.label).trim() === foldText(truth.label).trim(),
    );
    if (!answered || typeof answered.x !== 'number' || typeof answered.y !== 'number') return false;
    return Math.hypot(answered.x - truth.x, answered.y - truth.y) <= scorer.tolerance;
  }).length;
  return {
    coordinateHit: expected.length === 0 ? 1 : hits / expected.length,
    formatAdherence: wellFormed && schemaValid ? 1 : 0,
  };
}
