// The suite file format: a suite is data (prompt, output contract, scorer, scenarios), never code.
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'expected lower-case letters, digits and "-"' });

/** A screenshot of a form: a title and label/value rows, rendered with the bundled font. */
export const formImageSchema = z.strictObject({
  title: z.string().max(120),
  rows: z.array(z.tuple([z.string().max(80), z.string().max(120)])).min(1).max(14),
});

export const scenarioSchema = z.strictObject({
  id,
  category: id,
  /** Whether a good model must flag something on this screen. */
  anomaly: z.boolean(),
  /** Any of these (case-insensitive) in a flagged item's text means the planted anomaly was seen. */
  keywords: z.array(z.string().min(1)).default([]),
  note: z.string().optional(),
  form: formImageSchema,
}).refine((scenario) => !scenario.anomaly || scenario.keywords.length > 0, {
  error: 'an anomaly scenario needs keywords that show the anomaly was seen',
  path: ['keywords'],
});

export const flaggedItemsScorerSchema = z.strictObject({
  kind: z.literal('flagged-items'),
  /** The array in the answer that lists what the model flagged. */
  list: z.string().min(1),
  /** Fields of each flagged item searched for the scenario's keywords. */
  fields: z.array(z.string().min(1)).min(1),
});

export const suiteFileSchema = z.strictObject({
  id,
  version: z.number().int().min(1),
  title: z.string(),
  description: z.string(),
  prompt: z.string().min(1),
  output: z.strictObject({
    /** JSON Schema (draft 2020-12 subset that ajv supports) every answer must satisfy. */
    schema: z.record(z.string(), z.unknown()),
  }),
  scorer: flaggedItemsScorerSchema,
  image: z.strictObject({ width: z.number().int().min(64).max(4096), height: z.number().int().min(64).max(4096) }),
  scenarios: z.array(scenarioSchema).min(1).max(10_000),
});

export type SuiteFile = z.infer<typeof suiteFileSchema>;
export type ScenarioDefinition = z.infer<typeof scenarioSchema>;
export type FormImage = z.infer<typeof formImageSchema>;
export type FlaggedItemsScorer = z.infer<typeof flaggedItemsScorerSchema>;

export interface Scenario extends ScenarioDefinition {
  image: { mediaType: 'image/png'; bytes: Buffer; sha256: string };
}

/** A suite ready to run: its definition, its images' bytes and the fingerprint of all of it. */
export interface Suite extends Omit<SuiteFile, 'scenarios'> {
  scenarios: Scenario[];
  fingerprint: string;
}
