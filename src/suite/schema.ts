// The suite file format: a suite is data (prompt, output contract, scorer, scenarios), never code.
// Built-in suites and users' own suites share it.
import { z } from 'zod';
import type { SuiteSizeReport } from '../suite-sizes.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'expected lower-case letters, digits and "-"' });
const shortText = (max: number) => z.string().max(max, { error: `expected at most ${max} characters` });
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'expected a colour such as "#1f77b4"' });
const coordinate = z.number().min(0).max(4096);

/** A screenshot of a form: a title and label/value rows, rendered with the bundled font. */
export const formImageSchema = z.strictObject({
  title: shortText(120),
  rows: z
    .array(z.tuple([shortText(80), shortText(120)]))
    .min(1)
    .max(14),
  /** The layout: type sizes, where the values start and the spacing of rows, in pixels. */
  'font-size': z.number().min(10).max(32).default(18),
  'title-size': z.number().min(12).max(40).default(22),
  'value-x': z.number().min(80).max(800).default(280),
  'row-height': z.number().min(16).max(80).default(35),
  background: color.default('#ffffff'),
  ink: color.default('#000000'),
});

/** How a rendered screen is rasterised: scaled (a different screen density) and optionally JPEG-compressed. */
export const rasterSchema = z.strictObject({
  scale: z.number().min(0.25).max(3).default(1),
  /** Re-encode as JPEG at this quality, with its artefacts, as a screenshot passed through a chat tool would be. */
  'jpeg-quality': z.number().int().min(10).max(100).optional(),
  /** zlib level of a PNG: 9 gives the smallest files (committed images), 6 renders three times faster. */
  'png-compression': z.number().int().min(0).max(9).default(9),
});

/** A presentation slide: a title, bullet lines, and boxes joined by labelled arrows (a diagram). */
export const slideImageSchema = z.strictObject({
  title: shortText(120),
  bullets: z.array(shortText(140)).max(12).default([]),
  boxes: z
    .array(
      z.strictObject({
        id: id,
        label: shortText(60),
        x: coordinate,
        y: coordinate,
        width: z.number().min(20).max(2000),
        height: z.number().min(16).max(1000),
        fill: color.optional(),
      }),
    )
    .max(24)
    .default([]),
  arrows: z
    .array(z.strictObject({ from: id, to: id, label: shortText(40).optional() }))
    .max(40)
    .default([]),
  /** Text size of bullets and box labels; dense slides use smaller text. */
  'font-size': z.number().min(8).max(40).default(18),
});

/** A plain canvas with shapes at known positions, for pointing and coordinate tasks. */
export const canvasImageSchema = z.strictObject({
  background: color.default('#ffffff'),
  shapes: z
    .array(
      z.strictObject({
        shape: z.enum(['circle', 'square', 'triangle']),
        color,
        x: coordinate,
        y: coordinate,
        size: z.number().min(4).max(1000),
      }),
    )
    .min(1)
    .max(50),
});

export const toolCallExpectation = z.strictObject({
  tool: z.string().min(1),
  /** Expected argument values; strings match case-, accent- and spacing-insensitively. */
  arguments: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export const entitySchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), aliases: z.array(z.string().min(1)).default([]) }),
]);

/** What a good answer contains, for the scorers that compare with ground truth. */
export const expectationSchema = z.strictObject({
  /** Every word of the image's text (extraction: OCR word similarity). */
  text: z.string().optional(),
  entities: z.array(entitySchema).optional(),
  relations: z
    .array(z.strictObject({ from: z.string().min(1), to: z.string().min(1), type: z.string().min(1).optional() }))
    .optional(),
  /** The tool call a router must make (tool-call), or several acceptable ones. */
  tool: z.string().min(1).optional(),
  arguments: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Words a good answer mentions (tool-call: keyword match). */
  keywords: z.array(z.string().min(1)).optional(),
  /** Points the answer must locate (coordinates), in image pixels. */
  points: z.array(z.strictObject({ label: z.string().min(1), x: coordinate, y: coordinate })).optional(),
});

export const scenarioSchema = z
  .strictObject({
    id,
    category: id,
    /** flagged-items: whether a good model must flag something on this screen. */
    anomaly: z.boolean().optional(),
    /** flagged-items: any of these (case-insensitive) in a flagged item's text means the planted anomaly was seen. */
    keywords: z.array(z.string().min(1)).default([]),
    note: z.string().optional(),
    /** This scenario's own message (a question about the image, a spoken command), after the suite's prompt. */
    prompt: z.string().min(1).max(20_000).optional(),
    /** The image shown with the prompt: rendered (form, slide, canvas) or a PNG/JPEG file next to the suite file. */
    form: formImageSchema.optional(),
    slide: slideImageSchema.optional(),
    canvas: canvasImageSchema.optional(),
    file: z.string().min(1).max(400).optional(),
    raster: rasterSchema.optional(),
    expect: expectationSchema.optional(),
  })
  .refine(
    (scenario) =>
      [scenario.form, scenario.slide, scenario.canvas, scenario.file].filter((source) => source !== undefined).length <=
      1,
    {
      error: 'give at most one image source: form, slide, canvas or file',
    },
  );

export const flaggedItemsScorerSchema = z.strictObject({
  kind: z.literal('flagged-items'),
  /** The array in the answer that lists what the model flagged. */
  list: z.string().min(1),
  /** Fields of each flagged item searched for the scenario's keywords. */
  fields: z.array(z.string().min(1)).min(1),
});

export const extractionScorerSchema = z.strictObject({
  kind: z.literal('extraction'),
  /** Fields of the answer holding the transcribed text, the entity list and the relation list. */
  text: z.string().min(1).default('text'),
  entities: z.string().min(1).default('entities'),
  relations: z.string().min(1).default('relations'),
  /** A scenario passes when its mean entity recall reaches this. */
  pass: z.number().min(0).max(1).default(0.8),
});

export const toolCallScorerSchema = z.strictObject({
  kind: z.literal('tool-call'),
});

export const coordinatesScorerSchema = z.strictObject({
  kind: z.literal('coordinates'),
  /** The array in the answer holding {label, x, y} points. */
  list: z.string().min(1).default('points'),
  /** A point is a hit within this many pixels of the truth. */
  tolerance: z.number().min(0).max(2000).default(24),
});

export const scorerSchema = z.discriminatedUnion(
  'kind',
  [flaggedItemsScorerSchema, extractionScorerSchema, toolCallScorerSchema, coordinatesScorerSchema],
  {
    error: 'expected a scorer kind: flagged-items, extraction, tool-call or coordinates',
  },
);

/** A function the model may call (OpenAI's tools format, function part). */
export const toolSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a function name of letters, digits, "_" or "-"' }),
  description: z.string().max(1000).default(''),
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
});

export const familySchema = z.strictObject({
  /** A built-in scenario generator, such as patient-records. */
  generator: id,
  seed: z
    .number({ error: 'expected a whole number: the seed the scenarios are drawn from' })
    .int({ error: 'expected a whole number: the seed the scenarios are drawn from' })
    .min(0)
    .max(2 ** 31 - 1),
});

export const suiteFileSchema = z.strictObject({
  id,
  version: z
    .number({ error: 'expected a whole number from 1, raised when the suite changes on purpose' })
    .int({ error: 'expected a whole number from 1, raised when the suite changes on purpose' })
    .min(1, { error: 'expected a whole number from 1, raised when the suite changes on purpose' }),
  title: z.string(),
  description: z.string(),
  prompt: z.string().min(1),
  output: z.strictObject({
    /** JSON Schema (draft 2020-12 subset that ajv supports) every answer must satisfy. */
    schema: z.record(z.string(), z.unknown()),
  }),
  scorer: scorerSchema,
  /** Functions offered to the model (tool-call suites): as OpenAI tools, or described in the prompt for servers without them. */
  tools: z.array(toolSchema).max(128).optional(),
  image: z
    .strictObject({ width: z.number().int().min(64).max(4096), height: z.number().int().min(64).max(4096) })
    .optional(),
  /** Hand-written scenarios: the whole suite at size smoke, and the first scenarios at every other size. */
  scenarios: z.array(scenarioSchema).max(10_000).default([]),
  /** Generated scenarios: each family draws distinct scenarios from its seed, as many as the size asks. */
  families: z.array(familySchema).max(16).default([]),
  /** How many scenarios in all each preset runs (hand-written and generated). */
  sizes: z
    .strictObject({ standard: z.number().int().min(1).max(10_000), full: z.number().int().min(1).max(10_000) })
    .optional(),
});

export type SuiteFile = z.infer<typeof suiteFileSchema>;

export const hasImage = (scenario: ScenarioDefinition) =>
  Boolean(scenario.form ?? scenario.slide ?? scenario.canvas ?? scenario.file);
export const isRendered = (scenario: ScenarioDefinition) => Boolean(scenario.form ?? scenario.slide ?? scenario.canvas);
export type ScenarioDefinition = z.infer<typeof scenarioSchema>;
export type FormImage = z.infer<typeof formImageSchema>;
export type Family = z.infer<typeof familySchema>;
export type Raster = z.infer<typeof rasterSchema>;
export type SlideImage = z.infer<typeof slideImageSchema>;
export type CanvasImage = z.infer<typeof canvasImageSchema>;
export type Expectation = z.infer<typeof expectationSchema>;
export type Entity = z.infer<typeof entitySchema>;
export type Scorer = z.infer<typeof scorerSchema>;
export type FlaggedItemsScorer = z.infer<typeof flaggedItemsScorerSchema>;
export type ExtractionScorer = z.infer<typeof extractionScorerSchema>;
export type CoordinatesScorer = z.infer<typeof coordinatesScorerSchema>;
export type ToolDefinition = z.infer<typeof toolSchema>;

/** A call of one of the suite's tools, as a model made it: the arguments are the JSON text it wrote. */
export interface ToolCall {
  name: string;
  arguments: string;
}

export interface ScenarioImage {
  mediaType: 'image/png' | 'image/jpeg';
  bytes: Buffer;
  sha256: string;
}

export interface Scenario extends Omit<ScenarioDefinition, 'anomaly'> {
  /** flagged-items suites only; null where the suite's scorer has no notion of a planted anomaly. */
  anomaly: boolean | null;
  image: ScenarioImage | null;
  /** Suites scored against ground truth: the score that decides a pass, and the mean it must reach. */
  primaryScore?: { name: string; threshold: number };
}

/** A suite ready to run: its definition, its images' bytes and the fingerprint of all of it. */
export interface Suite extends Omit<SuiteFile, 'scenarios'> {
  scenarios: Scenario[];
  fingerprint: string;
  /** The size this suite was loaded at: its preset and how many scenarios it holds. */
  size: SuiteSizeReport;
  /** Where a user's suite came from (its YAML file); absent for built-in suites. */
  file?: string;
}
