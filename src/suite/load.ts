// Loads a suite (its YAML definition and committed scenario images) and fingerprints it, so every
// report says exactly which version of which suite produced its numbers.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import stringify from 'safe-stable-stringify';
import { parse as parseYaml } from 'yaml';
import { suiteError } from '../errors.js';
import { builtinSuitesDir } from './resources.js';
import { suiteFileSchema, type Scenario, type Suite, type SuiteFile } from './schema.js';

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Everything that changes what is asked or how answers are scored goes into the fingerprint. */
export function suiteFingerprint(definition: SuiteFile, imageSha256: ReadonlyMap<string, string>): string {
  const content = {
    id: definition.id,
    version: definition.version,
    prompt: definition.prompt,
    output: definition.output,
    scorer: definition.scorer,
    scenarios: definition.scenarios.map((scenario) => ({
      id: scenario.id,
      category: scenario.category,
      anomaly: scenario.anomaly,
      keywords: scenario.keywords,
      imageSha256: imageSha256.get(scenario.id),
    })),
  };
  return `sha256:${sha256(stringify(content) ?? '')}`;
}

export function parseSuiteDefinition(text: string, file: string): SuiteFile {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    throw suiteError(`Suite file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}.`);
  }
  const parsed = suiteFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw suiteError(`Suite file ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}.`);
  }
  const ids = new Set<string>();
  for (const scenario of parsed.data.scenarios) {
    if (ids.has(scenario.id)) throw suiteError(`Suite file ${file}: scenario id "${scenario.id}" appears twice; scenario ids must be unique.`);
    ids.add(scenario.id);
  }
  return parsed.data;
}

export function readCatalog(): Record<string, string> {
  return JSON.parse(readFileSync(join(builtinSuitesDir(), 'catalog.json'), 'utf8')) as Record<string, string>;
}

export function builtinSuiteIds(): string[] {
  const dir = builtinSuitesDir();
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'suite.yaml')))
    .map((entry) => entry.name)
    .sort();
}

export function builtinSuiteDefinition(id: string): { definition: SuiteFile; dir: string } {
  const ids = builtinSuiteIds();
  if (!ids.includes(id)) {
    throw suiteError(`Unknown suite "${id}". Built-in suites: ${ids.join(', ')}. Run "model-gate suites" to list them with their fingerprints.`);
  }
  const dir = join(builtinSuitesDir(), id);
  const file = join(dir, 'suite.yaml');
  return { definition: parseSuiteDefinition(readFileSync(file, 'utf8'), file), dir };
}

export const scenarioImagePath = (suiteDir: string, scenarioId: string) => join(suiteDir, 'images', `${scenarioId}.png`);

/** Builds a runnable suite from a definition and the image bytes of each scenario. */
export function assembleSuite(definition: SuiteFile, images: ReadonlyMap<string, Buffer>): Suite {
  const hashes = new Map([...images].map(([id, bytes]) => [id, sha256(bytes)]));
  const scenarios: Scenario[] = definition.scenarios.map((scenario) => {
    const bytes = images.get(scenario.id);
    if (!bytes) throw suiteError(`Suite "${definition.id}": scenario "${scenario.id}" has no image.`);
    return { ...scenario, image: { mediaType: 'image/png', bytes, sha256: hashes.get(scenario.id)! } };
  });
  return { ...definition, scenarios, fingerprint: suiteFingerprint(definition, hashes) };
}

// Built-in suites are files shipped with the tool, unchanged while a process runs: load each once.
const loadedBuiltinSuites = new Map<string, Suite>();

export function loadBuiltinSuite(id: string): Suite {
  const cached = loadedBuiltinSuites.get(id);
  if (cached) return cached;
  const { definition, dir } = builtinSuiteDefinition(id);
  const images = new Map<string, Buffer>();
  for (const scenario of definition.scenarios) {
    const path = scenarioImagePath(dir, scenario.id);
    if (!existsSync(path)) {
      throw suiteError(`Suite "${id}": the image ${path} is missing. Run "npm run suites:render" to render the built-in suites.`);
    }
    images.set(scenario.id, readFileSync(path));
  }
  const suite = assembleSuite(definition, images);
  loadedBuiltinSuites.set(id, suite);
  return suite;
}
