// Loads a suite — a built-in one (YAML definition and committed images) or a user's YAML file with
// its own images or rendered screens — validates it and fingerprints it, so every report says
// exactly which version of which suite produced its numbers.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { parse as parseYaml } from 'yaml';
import { suiteError } from '../lib/errors.js';
import { nestingProblem } from '../lib/yaml-limits.js';
import { builtinSuitesDir } from '../lib/resources.js';
import {
  hasImage,
  isRendered,
  suiteFileSchema,
  type Scenario,
  type ScenarioDefinition,
  type ScenarioImage,
  type Suite,
  type SuiteFile,
} from './schema.js';
import { issueSentence } from '../lib/schema-issues.js';
import { defined } from '../lib/defined.js';
import { familyIdentity, generateScenarios, generatorIds, GENERATORS } from './families/index.js';
import { renderSuiteImages } from './render-suite.js';
import { DEFAULT_SUITE_SIZE, scenarioCount, type SuiteSize, type SuiteSizeReport } from '../suite-sizes.js';

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Ten thousand scenarios with their ground truth fit in a few MB; more is not a suite. */
const MAX_SUITE_BYTES = 10 * 1024 * 1024;
/** A user's image may be at most this large: it travels base64-encoded in every call. */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/** Everything that changes what is asked or how answers are scored goes into the fingerprint. */
export function suiteFingerprint(definition: SuiteFile, imageSha256: ReadonlyMap<string, string>): string {
  // Fields a suite does not use stay out (undefined is dropped), so adding a field to the format
  // leaves the fingerprints of existing suites as they were.
  const content = {
    id: definition.id,
    version: definition.version,
    prompt: definition.prompt,
    output: definition.output,
    scorer: definition.scorer,
    tools: definition.tools,
    // Absent for a suite (or a size) with no generated scenarios, so their fingerprints stay as they were.
    families: definition.families.length > 0 ? definition.families.map(familyIdentity) : undefined,
    scenarioCount: definition.families.length > 0 ? definition.scenarios.length : undefined,
    scenarios: definition.scenarios.map((scenario) => ({
      id: scenario.id,
      category: scenario.category,
      anomaly: scenario.anomaly,
      keywords: scenario.keywords,
      prompt: scenario.prompt,
      expect: scenario.expect,
      imageSha256: imageSha256.get(scenario.id),
    })),
  };
  return `sha256:${sha256(stringify(content))}`;
}

/** What each scorer needs of a scenario, beyond the shape zod checks: one message naming the field. */
function scenarioProblem(
  definition: SuiteFile,
  scenario: ScenarioDefinition,
): { field: string; message: string; topLevel?: boolean } | null {
  const kind = definition.scorer.kind;
  if (isRendered(scenario) && !definition.image)
    return {
      field: 'image',
      topLevel: true,
      message:
        "rendered images (form, slide, canvas) need the suite's image size, such as image: { width: 1024, height: 600 }",
    };
  if (kind === 'flagged-items') {
    if (scenario.anomaly === undefined)
      return { field: 'anomaly', message: 'expected true or false (must a good model flag something on this screen)' };
    if (scenario.anomaly && scenario.keywords.length === 0)
      return { field: 'keywords', message: 'an anomaly scenario needs keywords that show the anomaly was seen' };
    if (!hasImage(scenario))
      return { field: 'form', message: 'a flagged-items scenario needs an image: form, slide, canvas or file' };
  }
  if (kind === 'extraction') {
    if (!hasImage(scenario))
      return { field: 'slide', message: 'an extraction scenario needs an image: slide, form, canvas or file' };
    if (!scenario.expect?.entities || scenario.expect.text === undefined)
      return {
        field: 'expect',
        message:
          'an extraction scenario needs expect.text and expect.entities (and expect.relations where the image shows any)',
      };
  }
  if (kind === 'tool-call') {
    if (!definition.tools?.length)
      return { field: 'tools', topLevel: true, message: 'a tool-call suite lists the tools the model may call' };
    if (!scenario.prompt)
      return { field: 'prompt', message: 'a tool-call scenario needs its prompt (the request to route)' };
    const tool = scenario.expect?.tool;
    if (!tool) return { field: 'expect.tool', message: 'expected the name of the tool a good model calls' };
    if (!definition.tools.some((entry) => entry.name === tool))
      return {
        field: 'expect.tool',
        message: `"${tool}" is not one of the suite's tools (${definition.tools.map((entry) => entry.name).join(', ')})`,
      };
  }
  if (kind === 'coordinates') {
    if (!hasImage(scenario))
      return { field: 'canvas', message: 'a coordinates scenario needs an image: canvas, slide, form or file' };
    if (!scenario.expect?.points?.length)
      return { field: 'expect.points', message: 'expected the points a good answer locates: [{label, x, y}]' };
  }
  if (scenario.slide) {
    const boxes = new Set(scenario.slide.boxes.map((box) => box.id));
    const arrow = scenario.slide.arrows.find((entry) => !boxes.has(entry.from) || !boxes.has(entry.to));
    if (arrow)
      return {
        field: 'slide.arrows',
        message: `the arrow from "${arrow.from}" to "${arrow.to}" names a box the slide does not have`,
      };
  }
  return null;
}

export function parseSuiteDefinition(text: string, file: string): SuiteFile {
  const nesting = nestingProblem(text);
  if (nesting) throw suiteError(`Suite file ${file} ${nesting}.`);
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    if (/alias/i.test(message))
      throw suiteError(
        `Suite file ${file} uses YAML aliases that expand into a huge document (${message}); write the repeated parts out, or keep aliases few.`,
      );
    throw suiteError(`Suite file ${file} is not valid YAML: ${message}.`);
  }
  const parsed = suiteFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first suite issue');
    throw suiteError(`Suite file ${file}: ${issueSentence(issue)}.`);
  }
  const families = parsed.data.families;
  if (parsed.data.scenarios.length === 0 && families.length === 0)
    throw suiteError(`Suite file ${file}: give scenarios, families of generated scenarios, or both.`);
  families.forEach((family, index) => {
    const generator = GENERATORS[family.generator];
    if (!generator)
      throw suiteError(
        `Suite file ${file}: families[${index}].generator: "${family.generator}" is not a scenario generator; expected one of ${generatorIds().join(', ')}.`,
      );
    if (generator.scorer !== parsed.data.scorer.kind)
      throw suiteError(
        `Suite file ${file}: families[${index}].generator: ${generator.id} writes scenarios for the ${generator.scorer} scorer, and this suite's scorer is ${parsed.data.scorer.kind}.`,
      );
  });
  if (families.length > 0)
    checkScenarios({ ...parsed.data, scenarios: generateScenarios(families, families.length) }, file);
  checkScenarios(parsed.data, file);
  return parsed.data;
}

/** Unique ids, and what each scorer needs of a scenario. */
export function checkScenarios(definition: SuiteFile, file: string): void {
  const ids = new Set<string>();
  definition.scenarios.forEach((scenario, index) => {
    if (ids.has(scenario.id))
      throw suiteError(`Suite file ${file}: scenario id "${scenario.id}" appears twice; scenario ids must be unique.`);
    ids.add(scenario.id);
    const problem = scenarioProblem(definition, scenario);
    if (problem?.topLevel)
      throw suiteError(
        `Suite file ${file}: ${problem.field}: ${problem.message} (scenario "${scenario.id}" needs it).`,
      );
    if (problem)
      throw suiteError(
        `Suite file ${file}: scenarios[${index}].${problem.field} (scenario "${scenario.id}"): ${problem.message}.`,
      );
  });
}

/** The scenarios a size runs: the hand-written ones first, then the families' generated ones. */
export function expandDefinition(
  definition: SuiteFile,
  size: SuiteSize,
): { definition: SuiteFile; size: SuiteSizeReport } {
  const count = scenarioCount(definition, size);
  const written = definition.scenarios.slice(0, count);
  const generated = generateScenarios(definition.families, count - written.length, definition.scenarios);
  const preset = typeof size === 'number' ? 'custom' : size;
  return {
    definition: {
      ...definition,
      scenarios: [...written, ...generated],
      families: generated.length > 0 ? definition.families : [],
    },
    size: {
      preset,
      scenarios: written.length + generated.length,
      generated: generated.length,
      generates: definition.families.length > 0,
    },
  };
}

/** The fingerprints of the built-in suites at smoke (committed images) and standard, as last rendered. */
export function readCatalog(): Record<string, { smoke: string; standard: string } | undefined> {
  return JSON.parse(readFileSync(join(builtinSuitesDir(), 'catalog.json'), 'utf8')) as Record<
    string,
    { smoke: string; standard: string }
  >;
}

export function builtinSuiteIds(): string[] {
  const dir = builtinSuitesDir();
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'suite.yaml')))
    .map((entry) => entry.name)
    .sort();
}

/** A suite reference names a user's file when it looks like a path: a folder part or a YAML extension. */
export const isSuiteFile = (reference: string) => /[\\/]/.test(reference) || /\.ya?ml$/i.test(reference);

export function builtinSuiteDefinition(id: string): { definition: SuiteFile; dir: string } {
  const ids = builtinSuiteIds();
  if (!ids.includes(id)) {
    throw suiteError(
      `Unknown suite "${id}". Built-in suites: ${ids.join(', ')}; a suite of your own is a path to its YAML file, such as .github/model-gate/my-suite.yml. Run "model-gate suites" to list the built-in ones with their fingerprints.`,
    );
  }
  const dir = join(builtinSuitesDir(), id);
  const file = join(dir, 'suite.yaml');
  return { definition: parseSuiteDefinition(readFileSync(file, 'utf8'), file), dir };
}

export const scenarioImagePath = (suiteDir: string, scenarioId: string) =>
  join(suiteDir, 'images', `${scenarioId}.png`);

export function imageMediaType(bytes: Buffer): ScenarioImage['mediaType'] | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return null;
}

/** The score that decides whether a scenario passes, for suites scored against ground truth. */
export function primaryScoreOf(scorer: SuiteFile['scorer']): { name: string; threshold: number } | undefined {
  if (scorer.kind === 'extraction') return { name: 'entityRecall', threshold: scorer.pass };
  if (scorer.kind === 'tool-call') return { name: 'toolAccuracy', threshold: 0.5 };
  if (scorer.kind === 'coordinates') return { name: 'coordinateHit', threshold: 0.5 };
  return undefined;
}

/** Builds a runnable suite from a definition and the image bytes of each scenario that shows one. */
export function assembleSuite(
  definition: SuiteFile,
  images: ReadonlyMap<string, Buffer>,
  options: { file?: string; size?: SuiteSizeReport } = {},
): Suite {
  const hashes = new Map([...images].map(([id, bytes]) => [id, sha256(bytes)]));
  const scenarios: Scenario[] = definition.scenarios.map((scenario) => {
    const bytes = images.get(scenario.id);
    if (hasImage(scenario) && !bytes)
      throw suiteError(`Suite "${definition.id}": scenario "${scenario.id}" has no image.`);
    const image = bytes
      ? {
          mediaType: imageMediaType(bytes) ?? 'image/png',
          bytes,
          sha256: defined(hashes.get(scenario.id), `image hash of ${scenario.id}`),
        }
      : null;
    const primaryScore = primaryScoreOf(definition.scorer);
    return {
      ...scenario,
      anomaly: definition.scorer.kind === 'flagged-items' ? (scenario.anomaly ?? false) : null,
      image,
      ...(primaryScore ? { primaryScore } : {}),
    };
  });
  const size = options.size ?? {
    preset: definition.families.length > 0 ? 'custom' : 'smoke',
    scenarios: scenarios.length,
    generated: 0,
    generates: definition.families.length > 0,
  };
  return {
    ...definition,
    scenarios,
    size,
    fingerprint: suiteFingerprint(definition, hashes),
    ...(options.file ? { file: options.file } : {}),
  };
}

// Built-in suites are files shipped with the tool, unchanged while a process runs: load each size once.
const loadedBuiltinSuites = new Map<string, Promise<Suite>>();

/** A built-in suite's hand-written scenarios (size smoke), from its committed images: no rendering. */
export function loadBuiltinSmokeSuite(
  id: string,
  { definition, dir }: { definition: SuiteFile; dir: string } = builtinSuiteDefinition(id),
): Suite {
  const expanded = expandDefinition(definition, 'smoke');
  return assembleSuite(expanded.definition, committedImages(id, dir, expanded.definition), { size: expanded.size });
}

function committedImages(id: string, dir: string, definition: SuiteFile): Map<string, Buffer> {
  const images = new Map<string, Buffer>();
  for (const scenario of definition.scenarios.filter(hasImage)) {
    const path = scenarioImagePath(dir, scenario.id);
    if (!existsSync(path)) {
      throw suiteError(
        `Suite "${id}": the image ${path} is missing. Run "npm run suites:render" to render the built-in suites.`,
      );
    }
    images.set(scenario.id, readFileSync(path));
  }
  return images;
}

async function loadBuiltinSuite(id: string, size: SuiteSize): Promise<Suite> {
  const key = `${id}@${size}`;
  let loading = loadedBuiltinSuites.get(key);
  if (!loading) {
    loading = (async () => {
      const { definition, dir } = builtinSuiteDefinition(id);
      const written = new Set(definition.scenarios.map((scenario) => scenario.id));
      const expanded = expandDefinition(definition, size);
      const committed = committedImages(id, dir, {
        ...expanded.definition,
        scenarios: expanded.definition.scenarios.filter((scenario) => written.has(scenario.id)),
      });
      const rendered = await renderSuiteImages({
        ...expanded.definition,
        scenarios: expanded.definition.scenarios.filter((scenario) => !written.has(scenario.id)),
      });
      return assembleSuite(expanded.definition, new Map([...committed, ...rendered]), { size: expanded.size });
    })();
    loadedBuiltinSuites.set(key, loading);
    loading.catch(() => loadedBuiltinSuites.delete(key));
  }
  return loading;
}

/** A user's image file: inside the suite's folder, a PNG or JPEG, of a size a server accepts. */
export function readScenarioFile(suiteFile: string, scenario: ScenarioDefinition): Buffer {
  const reference = defined(scenario.file, `image file of ${scenario.id}`);
  const where = `Suite file ${suiteFile}: scenario "${scenario.id}": file "${reference}"`;
  const root = dirname(resolve(suiteFile));
  const path = resolve(root, reference);
  const inside = relative(root, path);
  if (isAbsolute(reference) || inside.startsWith('..') || isAbsolute(inside)) {
    throw suiteError(
      `${where} points outside the suite's folder; give a path relative to the suite file, such as images/login.png.`,
    );
  }
  if (!existsSync(path) || !statSync(path).isFile()) throw suiteError(`${where} does not exist (looked for ${path}).`);
  // A link inside the folder may lead out of it: what counts is where the file really is.
  const realInside = relative(realpathSync(root), realpathSync(path));
  if (realInside.startsWith('..') || isAbsolute(realInside))
    throw suiteError(
      `${where} is a link to ${realpathSync(path)}, outside the suite's folder; copy the image into the folder instead.`,
    );
  if (statSync(path).size > MAX_IMAGE_BYTES)
    throw suiteError(`${where} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB; scale it down.`);
  const bytes = readFileSync(path);
  if (!imageMediaType(bytes)) throw suiteError(`${where} is neither a PNG nor a JPEG image.`);
  return bytes;
}

/** A user's suite: its YAML file, its image files, and its rendered screens (rendered here, with sharp). */
export async function loadSuiteFile(file: string, size: SuiteSize = DEFAULT_SUITE_SIZE): Promise<Suite> {
  if (!existsSync(file))
    throw suiteError(
      `Suite file ${file} does not exist. Give the path of a suite YAML file (relative to the working directory) or a built-in suite: ${builtinSuiteIds().join(', ')}.`,
    );
  if (statSync(file).size > MAX_SUITE_BYTES)
    throw suiteError(
      `Suite file ${file} is larger than ${MAX_SUITE_BYTES / 1024 / 1024} MB; a suite's images go in files beside it, not in the YAML. Check that the path points at the right file.`,
    );
  const expanded = expandDefinition(parseSuiteDefinition(readFileSync(file, 'utf8'), file), size);
  const images = await renderSuiteImages(expanded.definition);
  for (const scenario of expanded.definition.scenarios)
    if (scenario.file) images.set(scenario.id, readScenarioFile(file, scenario));
  return assembleSuite(expanded.definition, images, { file, size: expanded.size });
}

/** A built-in suite by id or a user's suite by path, at a size. */
export async function loadSuite(reference: string, size: SuiteSize = DEFAULT_SUITE_SIZE): Promise<Suite> {
  return isSuiteFile(reference) ? loadSuiteFile(reference, size) : loadBuiltinSuite(reference, size);
}
