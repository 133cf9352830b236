// Programmes for the test server built from a suite: for each scenario image, the answer of a model
// that sees the planted anomaly (hit) and of one that misses it (miss). Shared by tests, the
// benchmarks and the demo. Clean screens: a hit is an empty list, a miss is a false alarm.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'suites');

export function suiteAnswers(suiteId = 'safety-checks') {
  const dir = join(suitesDir, suiteId);
  const suite = parse(readFileSync(join(dir, 'suite.yaml'), 'utf8'));
  const answers = {};
  for (const scenario of suite.scenarios) {
    const sha = createHash('sha256').update(readFileSync(join(dir, 'images', `${scenario.id}.png`))).digest('hex');
    const seen = scenario.anomaly
      ? [{ label: `Check ${scenario.keywords[0]}`, evidence: `The screen shows ${scenario.keywords[0]}, which looks wrong for this record.` }]
      : [];
    const wrong = scenario.anomaly ? [] : [{ label: 'Verify the record', evidence: 'Something may be off on this screen.' }];
    answers[sha] = { hit: JSON.stringify({ additional_checks: seen }), miss: JSON.stringify({ additional_checks: wrong }) };
  }
  return answers;
}

/** A programme for the suite; `overrides` replaces top-level fields (latency, quality, failures…). */
export function suiteProgramme(overrides = {}, suiteId = 'safety-checks') {
  return { models: ['test-model'], answers: suiteAnswers(suiteId), ...overrides };
}
