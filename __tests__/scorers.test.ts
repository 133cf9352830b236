// Each built-in scorer on hand-written answers — perfect, partial, wrong, malformed — with the exact
// scores worked out by hand from the suites' ground truth.
import { describe, expect, it } from '@jest/globals';
import { compileAnswerScorer, type ModelAnswer } from '../src/score/answer.js';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';

function scorerFor(suiteId: string, scenarioId: string) {
  const suite = loadBuiltinSmokeSuite(suiteId);
  const scenario = suite.scenarios.find((entry) => entry.id === scenarioId)!;
  const score = compileAnswerScorer(suite);
  return (answer: Partial<ModelAnswer>) => score({ text: '', toolCalls: null, ...answer }, scenario);
}

describe('extraction scorer (slide-extraction, core-erp-diagram)', () => {
  // Ground truth: 14 distinct words ("S/4HANA" is "s" and "4hana"), 4 entities, 3 relations.
  const score = scorerFor('slide-extraction', 'core-erp-diagram');

  it('a perfect answer scores 1 everywhere', () => {
    const answer = {
      text: 'Core ERP Landscape SAP Fiori SAP S/4HANA Cloud SAP HANA SAP BTP ACCESSES RUNS ON EXTENDS',
      entities: ['SAP Fiori', 'SAP S/4HANA Cloud', 'SAP HANA', 'SAP BTP'],
      relations: [
        { from: 'SAP Fiori', to: 'SAP S/4HANA Cloud', type: 'ACCESSES' },
        { from: 'SAP S/4HANA Cloud', to: 'SAP HANA', type: 'RUNS ON' },
        { from: 'SAP BTP', to: 'SAP S/4HANA Cloud', type: 'EXTENDS' },
      ],
    };
    expect(score({ text: JSON.stringify(answer) })).toEqual({
      jsonValid: true,
      schemaValid: true,
      flagged: false,
      detected: false,
      matchedKeywords: [],
      scores: { ocrJaccard: 1, ocrRecall: 1, entityRecall: 1, entityPrecision: 1, relationRecall: 1 },
    });
  });

  it('a partial answer: half the words, aliases and spacing forgiven, one wrong entity, one relation of the wrong type', () => {
    const answer = {
      text: 'Core ERP Landscape SAP Fiori SAP HANA',
      entities: ['fiori', 'S/4 HANA cloud', 'SAP Ariba'],
      relations: [
        { from: 'Fiori', to: 'SAP S/4HANA Cloud', type: 'accesses' },
        { from: 'SAP S/4HANA Cloud', to: 'SAP HANA', type: 'USES' },
      ],
    };
    expect(score({ text: JSON.stringify(answer) }).scores).toEqual({
      ocrJaccard: 6 / 14,
      ocrRecall: 6 / 14,
      entityRecall: 2 / 4,
      entityPrecision: 2 / 3,
      relationRecall: 1 / 3,
    });
  });

  it('a wrong answer (valid, empty) scores 0, and naming nothing is no precision', () => {
    expect(score({ text: '{"text": "", "entities": [], "relations": []}' })).toMatchObject({
      jsonValid: true,
      schemaValid: true,
      scores: { ocrJaccard: 0, ocrRecall: 0, entityRecall: 0, entityPrecision: 0, relationRecall: 0 },
    });
  });

  it('a malformed answer (fenced JSON) is not JSON and scores 0', () => {
    expect(score({ text: '```json\n{"text": "Core ERP"}\n```' })).toEqual({
      jsonValid: false,
      schemaValid: false,
      flagged: false,
      detected: false,
      matchedKeywords: [],
      scores: { ocrJaccard: 0, ocrRecall: 0, entityRecall: 0, entityPrecision: 0, relationRecall: 0 },
    });
  });

  it('a text-only slide has no relation score', () => {
    const textOnly = scorerFor('slide-extraction', 'capabilities-text');
    expect(Object.keys(textOnly({ text: '{"text": "x", "entities": ["HANA"], "relations": []}' }).scores)).toEqual([
      'ocrJaccard',
      'ocrRecall',
      'entityRecall',
      'entityPrecision',
    ]);
  });
});

describe('tool-call scorer (voice-commands, message-alice: send_message, contact Alice, keyword "late")', () => {
  const score = scorerFor('voice-commands', 'message-alice');

  it('a perfect native tool call', () => {
    expect(
      score({ toolCalls: [{ name: 'send_message', arguments: '{"contact": "alice", "text": "I am late"}' }] }),
    ).toEqual({
      jsonValid: true,
      schemaValid: true,
      flagged: false,
      detected: false,
      matchedKeywords: [],
      scores: { toolAccuracy: 1, argumentMatch: 1, keywordMatch: 1 },
    });
  });

  it('a perfect JSON fallback answer, for servers without tools', () => {
    expect(
      score({ text: '{"tool": "send_message", "arguments": {"contact": "Alice", "text": "late again"}}' }),
    ).toMatchObject({
      jsonValid: true,
      schemaValid: true,
      scores: { toolAccuracy: 1, argumentMatch: 1, keywordMatch: 1 },
    });
  });

  it('a partial answer: the right tool, the wrong contact, the keyword lost', () => {
    expect(
      score({ toolCalls: [{ name: 'send_message', arguments: '{"contact": "Alicia", "text": "running behind"}' }] })
        .scores,
    ).toEqual({ toolAccuracy: 1, argumentMatch: 0, keywordMatch: 0 });
  });

  it('a wrong tool', () => {
    expect(score({ toolCalls: [{ name: 'open_app', arguments: '{"app": "messages"}' }] })).toMatchObject({
      jsonValid: true,
      schemaValid: true,
      scores: { toolAccuracy: 0, argumentMatch: 0, keywordMatch: 0 },
    });
  });

  it('malformed arguments: the tool counts, the arguments do not, the schema fails', () => {
    expect(score({ toolCalls: [{ name: 'send_message', arguments: '{"contact": "Alice"' }] })).toMatchObject({
      jsonValid: false,
      schemaValid: false,
      scores: { toolAccuracy: 1, argumentMatch: 0, keywordMatch: 0 },
    });
  });

  it('prose without a call routes nowhere, though its words still count as keywords', () => {
    expect(score({ text: "Sure, I'll tell Alice you're running late." })).toMatchObject({
      jsonValid: false,
      schemaValid: false,
      scores: { toolAccuracy: 0, argumentMatch: 0, keywordMatch: 1 },
    });
  });
});

describe('coordinates scorer (ui-coordinates, circle-and-square: red circle 150,450 and blue square 650,150; tolerance 24 px)', () => {
  const score = scorerFor('ui-coordinates', 'circle-and-square');
  const points = (...list: unknown[]) => ({ text: JSON.stringify({ points: list }) });

  it('both points within the tolerance, labels matched without regard to case', () => {
    expect(score(points({ label: 'red circle', x: 150, y: 450 }, { label: 'Blue Square', x: 660, y: 140 }))).toEqual({
      jsonValid: true,
      schemaValid: true,
      flagged: false,
      detected: false,
      matchedKeywords: [],
      scores: { coordinateHit: 1, formatAdherence: 1 },
    });
  });

  it('one point 30 px off is a miss: half the points hit', () => {
    expect(
      score(points({ label: 'red circle', x: 180, y: 450 }, { label: 'blue square', x: 650, y: 150 })).scores,
    ).toEqual({ coordinateHit: 0.5, formatAdherence: 1 });
  });

  it('a point outside the 800 x 600 image breaks the format', () => {
    expect(
      score(points({ label: 'red circle', x: 150, y: 450 }, { label: 'blue square', x: 900, y: 150 })).scores,
    ).toEqual({ coordinateHit: 0.5, formatAdherence: 0 });
  });

  it('coordinates as strings: schema-invalid, no hit, no format', () => {
    expect(score(points({ label: 'red circle', x: '150', y: '450' }))).toMatchObject({
      jsonValid: true,
      schemaValid: false,
      scores: { coordinateHit: 0, formatAdherence: 0 },
    });
  });

  it('a malformed answer (a tuple in prose)', () => {
    expect(score({ text: 'The red circle is at (150, 450).' })).toMatchObject({
      jsonValid: false,
      scores: { coordinateHit: 0, formatAdherence: 0 },
    });
  });
});
