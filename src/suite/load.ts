// Loads a suite — a built-in one (YAML definition and committed images) or a user's YAML file with
// its own images or rendered screens — validates it and fingerprints it, so every report says
// exactly which version of which suite produced its numbers.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import stringify from 'safe-stable-stringify';
import { parse as parseYaml } from 'yaml';
import { suiteError } from '../lib/errors.js';
import { nestingProblem } from '../lib/yaml-limits.js';
import { builtinSuitesDir } from '../lib/resources.js';
import {
  suiteFileSchema,
  type Scenario,
  type ScenarioDefinition,
  type ScenarioImage,
  type Suite,
  type SuiteFile,
} from './schema.js';
import { defined } from '../lib/defined.js';

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

export const hasImage = (scenario: ScenarioDefinition) =>
  Boolean(scenario.form ?? scenario.slide ?? scenario.canvas ?? scenario.file);
export const isRendered = (scenario: ScenarioDefinition) => Boolean(scenario.form ?? scenario.slide ?? scenario.canvas);

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
  const parsed = suiteFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = defined(parsed.error.issues[0], 'the first suite issue');
    throw suiteError(`Suite file ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}.`);
  }
  const ids = new Set<string>();
  parsed.data.scenarios.forEach((scenario, index) => {
    if (ids.has(scenario.id))
      throw suiteError(`Suite file ${file}: scenario id "${scenario.id}" appears twice; scenario ids must be unique.`);
    ids.add(scenario.id);
    const problem = scenarioProblem(parsed.data, scenario);
    if (problem?.topLevel)
      throw suiteError(
        `Suite file ${file}: ${problem.field}: ${problem.message} (scenario "${scenario.id}" needs it).`,
      );
    if (problem)
      throw suiteError(
        `Suite file ${file}: scenarios.${index}.${problem.field} (scenario "${scenario.id}"): ${problem.message}.`,
      );
  });
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
export function assembleSuite(definition: SuiteFile, images: ReadonlyMap<string, Buffer>, file?: string): Suite {
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
  return { ...definition, scenarios, fingerprint: suiteFingerprint(definition, hashes), ...(file ? { file } : {}) };
}

// Built-in suites are files shipped with the tool, unchanged while a process runs: load each once.
const loadedBuiltinSuites = new Map<string, Suite>();

export function loadBuiltinSuite(id: string): Suite {
  const cached = loadedBuiltinSuites.get(id);
  if (cached) return cached;
  const { definition, dir } = builtinSuiteDefinition(id);
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
  const suite = assembleSuite(definition, images);
  loadedBuiltinSuites.set(id, suite);
  return suite;
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
  if (statSync(path).size > MAX_IMAGE_BYTES)
    throw suiteError(`${where} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB; scale it down.`);
  const bytes = readFileSync(path);
  if (!imageMediaType(bytes)) throw suiteError(`${where} is neither a PNG nor a JPEG image.`);
  return bytes;
}

/** A user's suite: its YAML file, its image files, and its rendered screens (rendered here, with sharp). */
export async function loadSuiteFile(file: string): Promise<Suite> {
  if (!existsSync(file))
    throw suiteError(
      `Suite file ${file} does not exist. Give the path of a suite YAML file (relative to the working directory) or a built-in suite: ${builtinSuiteIds().join(', ')}.`,
    );
  if (statSync(file).size > MAX_SUITE_BYTES)
    throw suiteError(
      `Suite file ${file} is larger than ${MAX_SUITE_BYTES / 1024 / 1024} MB; a suite's images go in files beside it, not in the YAML. Check that the path points at the right file.`,
    );
  const definition = parseSuiteDefinition(readFileSync(file, 'utf8'), file);
  const images = new Map<string, Buffer>();
  const { renderScenarioPng } = await import('./render.js');
  for (const scenario of definition.scenarios) {
    if (scenario.file) images.set(scenario.id, readScenarioFile(file, scenario));
    else if (isRendered(scenario))
      images.set(scenario.id, await renderScenarioPng(scenario, defined(definition.image, "the suite's image size")));
  }
  return assembleSuite(definition, images, file);
}

/** A built-in suite by id or a user's suite by path. */
export async function loadSuite(reference: string): Promise<Suite> {
  return isSuiteFile(reference) ? loadSuiteFile(reference) : loadBuiltinSuite(reference);
}
