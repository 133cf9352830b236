// Programmes for the test server built from a suite: for each scenario (keyed by its image's sha256,
// or by its prompt's for text-only scenarios), the answer of a model that gets it right (hit) and of
// one that gets it wrong (miss). Shared by tests, the benchmarks and the demo.
// safety-checks: a hit names the planted anomaly (or flags nothing on a clean screen), a miss does
// not (or raises a false alarm). slide-extraction: a hit is the ground truth, a miss half of it.
// voice-commands: a hit calls the right tool with the right arguments, a miss the wrong tool.
// ui-coordinates: a hit gives the true centres, a miss points 100 pixels off.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'suites');
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** A hand-written scenario's committed image, as model-gate loads it; null for a text-only one. */
function committedImage(suiteDir, scenario) {
  try {
    return { sha256: sha256(readFileSync(join(suiteDir, 'images', `${scenario.id}.png`))) };
  } catch {
    return null;
  }
}

const entityName = (entity) => (typeof entity === 'string' ? entity : entity.name);

function answerPair(suite, scenario) {
  const kind = suite.scorer.kind;
  if (kind === 'extraction') {
    const { text = '', entities = [], relations = [] } = scenario.expect ?? {};
    const names = entities.map(entityName);
    const words = text.split(/\s+/);
    return {
      hit: JSON.stringify({ text, entities: names, relations }),
      miss: JSON.stringify({
        text: words.slice(0, Math.ceil(words.length / 2)).join(' '),
        entities: names.slice(0, Math.ceil(names.length / 2)),
        relations: [],
      }),
    };
  }
  if (kind === 'tool-call') {
    const { tool, arguments: args = {}, keywords = [] } = scenario.expect;
    const wrong = suite.tools.find((entry) => entry.name !== tool);
    // Required parameters the expectation leaves open get the scenario's keywords, as a model would fill them.
    const filled = (definition, given) =>
      Object.fromEntries([
        ...(definition.parameters.required ?? []).map((name) => [name, keywords.join(' ') || name]),
        ...Object.entries(given),
      ]);
    return {
      hit: {
        toolCall: {
          name: tool,
          arguments: filled(
            suite.tools.find((entry) => entry.name === tool),
            args,
          ),
        },
      },
      miss: { toolCall: { name: wrong.name, arguments: filled(wrong, {}) } },
    };
  }
  if (kind === 'coordinates') {
    const points = scenario.expect.points;
    return {
      hit: JSON.stringify({ points }),
      miss: JSON.stringify({
        points: points.map((point) => ({ ...point, x: Math.max(0, point.x - 100), y: point.y })),
      }),
    };
  }
  const seen = scenario.anomaly
    ? [
        {
          label: `Check ${scenario.keywords[0]}`,
          evidence: `The screen shows ${scenario.keywords[0]}, which looks wrong for this record.`,
        },
      ]
    : [];
  const wrong = scenario.anomaly
    ? []
    : [{ label: 'Verify the record', evidence: 'Something may be off on this screen.' }];
  return { hit: JSON.stringify({ additional_checks: seen }), miss: JSON.stringify({ additional_checks: wrong }) };
}

/** Answers for a built-in suite (by id) or a suite file (by path). */
export function suiteAnswers(suiteId = 'safety-checks') {
  const file = suiteId.endsWith('.yaml') || suiteId.endsWith('.yml') ? suiteId : join(suitesDir, suiteId, 'suite.yaml');
  const dir = dirname(file);
  const suite = parse(readFileSync(file, 'utf8'));
  return answersFor({
    ...suite,
    scenarios: suite.scenarios.map((scenario) => ({ ...scenario, image: committedImage(dir, scenario) })),
  });
}

/**
 * Answers for a suite as model-gate loads it (any size, generated scenarios included), keyed as the
 * test server looks them up: each scenario's image sha256, else its prompt's (the user message).
 */
export function answersFor(suite) {
  const answers = {};
  for (const scenario of suite.scenarios)
    answers[scenario.image?.sha256 ?? sha256(scenario.prompt ?? '')] = answerPair(suite, scenario);
  return answers;
}

/** A programme for a loaded suite; `overrides` replaces top-level fields. */
export function programmeFor(suite, overrides = {}) {
  return { models: ['test-model'], answers: answersFor(suite), ...overrides };
}

/** A programme for the suite; `overrides` replaces top-level fields (latency, quality, failures…). */
export function suiteProgramme(overrides = {}, suiteId = 'safety-checks') {
  return { models: ['test-model'], answers: suiteAnswers(suiteId), ...overrides };
}
