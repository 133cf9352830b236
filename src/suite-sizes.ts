// Suite sizes: the presets a user picks with suite-size, and how many scenarios each one runs. A leaf,
// like the metric catalog: the config reads sizes and the suite loader draws them.
import { z } from 'zod';

/** What a size needs to know of a suite definition. */
interface SizedSuite {
  scenarios: readonly unknown[];
  families: readonly unknown[];
  sizes?: { standard: number; full: number } | undefined;
}

export const SUITE_PRESETS = ['smoke', 'standard', 'full'] as const;
export type SuitePreset = (typeof SUITE_PRESETS)[number];
export type SuiteSize = SuitePreset | number;
export const DEFAULT_SUITE_SIZE: SuiteSize = 'standard';
/** A suite with families but no `sizes` of its own. */
export const DEFAULT_FAMILY_SIZES = { standard: 200, full: 800 } as const;
/** smoke for a suite with no hand-written scenarios: one cycle of a typical family. */
const GENERATED_SMOKE = 16;
export const MAX_SUITE_SCENARIOS = 10_000;

/** What a size may be, said the same way wherever one is given. */
export const SUITE_SIZE_EXPECTED = `expected smoke, standard, full or a number of scenarios from 1 to ${MAX_SUITE_SCENARIOS}`;

/** A size as the config file gives it: a preset or a whole number (YAML keeps them apart). */
export const suiteSizeSchema = z.union([z.enum(SUITE_PRESETS), z.number().int().min(1).max(MAX_SUITE_SCENARIOS)], {
  error: SUITE_SIZE_EXPECTED,
});

/** A size as an input or a flag gives it, in text; null where it is none. */
export function parseSuiteSize(text: string): SuiteSize | null {
  const trimmed = text.trim();
  const parsed = suiteSizeSchema.safeParse(/^\d+$/.test(trimmed) ? Number(trimmed) : trimmed);
  return parsed.success ? parsed.data : null;
}

/** What the report says about the size a run used. */
export const suiteSizeReportSchema = z.object({
  preset: z.enum([...SUITE_PRESETS, 'custom']),
  scenarios: z.number(),
  /** Of which generated from the suite's families. */
  generated: z.number(),
  /** Whether the suite has families, so that a larger size has more distinct scenarios. */
  generates: z.boolean(),
});
export type SuiteSizeReport = z.infer<typeof suiteSizeReportSchema>;

/** How many scenarios in all a size runs: the hand-written ones first, then generated ones. */
export function scenarioCount(definition: SizedSuite, size: SuiteSize): number {
  const written = definition.scenarios.length;
  if (definition.families.length === 0) return typeof size === 'number' ? Math.min(size, written) : written;
  if (size === 'smoke') return written > 0 ? written : GENERATED_SMOKE;
  if (typeof size === 'number') return size;
  return (definition.sizes ?? DEFAULT_FAMILY_SIZES)[size];
}
