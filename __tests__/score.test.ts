import { describe, expect, it } from '@jest/globals';
import { compileAnswerScorer, foldText } from '../src/score/answer.js';
import { loadBuiltinSmokeSuite } from '../src/suite/load.js';

const suite = loadBuiltinSmokeSuite('safety-checks');
const scorer = compileAnswerScorer(suite);
const score = (text: string, keywords: string[]) =>
  scorer({ text, toolCalls: null }, { ...suite.scenarios[0]!, keywords });
const keywordsOf = (id: string) => suite.scenarios.find((scenario) => scenario.id === id)!.keywords;

describe('answer scorer (safety-checks contract)', () => {
  it('detects a planted anomaly named in a label or the evidence, accents and case folded', () => {
    const answer = JSON.stringify({
      additional_checks: [{ label: 'Vérifier la DURÉE du séjour', evidence: 'Sortie une heure après l’admission' }],
    });
    expect(score(answer, keywordsOf('billing-flat-rate-vs-stay'))).toEqual({
      jsonValid: true,
      schemaValid: true,
      flagged: true,
      detected: true,
      matchedKeywords: ['durée', 'duree'],
      scores: {},
    });
  });

  it('flags without detecting when the check names something else', () => {
    const answer = '{"additional_checks": [{"label": "Check the sex field", "evidence": "F"}]}';
    expect(score(answer, keywordsOf('birth-date-aberrant'))).toMatchObject({
      flagged: true,
      detected: false,
      matchedKeywords: [],
    });
  });

  it('an empty list is a clean answer', () => {
    expect(score(' {"additional_checks": []}\n', [])).toEqual({
      jsonValid: true,
      schemaValid: true,
      flagged: false,
      detected: false,
      matchedKeywords: [],
      scores: {},
    });
  });

  it('valid JSON that breaks the schema is schema-invalid, with the reason', () => {
    const result = score('{"additional_checks": [{"label": "IPP invalide"}]}', keywordsOf('patient-id-malformed'));
    expect(result).toMatchObject({
      jsonValid: true,
      schemaValid: false,
      flagged: true,
      detected: true,
      schemaError: "/additional_checks/0 must have required property 'evidence'",
    });
    expect(score('{"checks": []}', [])).toMatchObject({ jsonValid: true, schemaValid: false, flagged: false });
  });

  it('prose, fenced JSON and truncated JSON are not JSON', () => {
    for (const answer of [
      'Everything looks fine.',
      '```json\n{"additional_checks": []}\n```',
      '{"additional_checks": [{"label": "ddn',
    ]) {
      expect(score(answer, keywordsOf('birth-date-aberrant'))).toEqual({
        jsonValid: false,
        schemaValid: false,
        flagged: false,
        detected: false,
        matchedKeywords: [],
        scores: {},
      });
    }
  });

  it('folds accents and case the same way on both sides', () => {
    expect(foldText('Non Renseigné')).toBe('non renseigne');
  });
});
