// One list of inputs (src/inputs.ts): action.yml, docs/reference.md and the CLI's --help agree with it.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INPUTS, OUTPUTS } from '../src/inputs.js';
import { ACTION_FILE, REFERENCE_FILE, ROOT, generatedActionYml, referenceMarkdown } from '../scripts/reference.js';
import { runProcess } from './helpers/processes.js';

const FIX = 'run "npm run docs:reference" and commit the result';

describe('the reference, generated from the one list of inputs', () => {
  it("action.yml's inputs and outputs are the list's", () => {
    const committed = parse(readFileSync(ACTION_FILE, 'utf8')) as unknown;
    const generated = parse(generatedActionYml(readFileSync(ACTION_FILE, 'utf8'))) as unknown;
    expect({ committed, fix: FIX }).toEqual({ committed: generated, fix: FIX });
    const action = committed as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
    expect(Object.keys(action.inputs)).toEqual(INPUTS.map((input) => input.name));
    expect(Object.keys(action.outputs)).toEqual(OUTPUTS.map((output) => output.name));
  });

  it('docs/reference.md is what the list and the metric catalog generate', () => {
    expect({ reference: readFileSync(REFERENCE_FILE, 'utf8'), fix: FIX }).toEqual({
      reference: referenceMarkdown(),
      fix: FIX,
    });
  });

  it('the CLI takes every flag of the list and its --help shows each one', async () => {
    const { stdout, code } = await runProcess(process.execPath, [join(ROOT, 'dist', 'cli', 'index.js'), '--help'], {
      timeoutMs: 30_000,
    });
    expect(code).toBe(0);
    const flags = INPUTS.filter((input) => input.flag);
    expect(flags.length).toBeGreaterThan(30);
    for (const input of flags) expect(stdout).toContain(`--${input.name} ${input.flag?.value ?? ''}`);
    for (const input of INPUTS.filter((entry) => !entry.flag)) expect(stdout).not.toContain(`--${input.name} `);
  });
});
