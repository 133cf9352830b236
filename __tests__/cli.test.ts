// The CLI's other commands: listing suites with their fingerprints, writing the scenario images.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltinSuite, readCatalog } from '../src/suite/load.js';
import { VERSION } from '../src/version.js';
import { runCli } from './helpers/processes.js';

describe('model-gate CLI', () => {
  it('suites: lists each built-in suite with its committed fingerprint', async () => {
    const result = await runCli(['suites']);
    expect(result.code).toBe(0);
    const catalog = readCatalog();
    expect(result.stdout).toBe(
      [
        `safety-checks\tv1\t9 scenarios\t${catalog['safety-checks']}\n\tSafety checks on patient-record screenshots\n`,
        `slide-extraction\tv1\t9 scenarios\t${catalog['slide-extraction']}\n\tText, entities and relations read off architecture slides\n`,
        `ui-coordinates\tv1\t8 scenarios\t${catalog['ui-coordinates']}\n\tCoordinates of shapes on a canvas\n`,
        `voice-commands\tv1\t30 scenarios\t${catalog['voice-commands']}\n\tVoice commands routed to tools\n`,
      ].join(''),
    );
  });

  it.each([
    ['slide-extraction', 9, ''],
    ['ui-coordinates', 8, ''],
    ['voice-commands', 0, ' (30 scenarios are text only)'],
  ])('render %s: every image written, re-rendered identically', async (id, count, note) => {
    const out = mkdtempSync(join(tmpdir(), 'model-gate-render-'));
    const result = await runCli(['render', id, '--out', out, '--fresh']);
    expect(result.stdout).toBe(
      `${count} images of ${id} written to ${out}${note}\nRe-rendered images are byte-identical to the committed ones.\n`,
    );
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toHaveLength(count);
  });

  it('render: writes every scenario image, byte for byte, and --fresh re-renders identically', async () => {
    const out = mkdtempSync(join(tmpdir(), 'model-gate-render-'));
    const result = await runCli(['render', 'safety-checks', '--out', out, '--fresh']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `9 images of safety-checks written to ${out}\nRe-rendered images are byte-identical to the committed ones.\n`,
    );
    const suite = loadBuiltinSuite('safety-checks');
    expect(readdirSync(out).sort()).toEqual(suite.scenarios.map((scenario) => `${scenario.id}.png`).sort());
    for (const scenario of suite.scenarios)
      expect(readFileSync(join(out, `${scenario.id}.png`)).equals(scenario.image!.bytes)).toBe(true);
  });

  it('render: needs a suite and a folder', async () => {
    const result = await runCli(['render', 'safety-checks']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'model-gate: render needs --out DIR, the folder to write the images to. Run "model-gate --help" for usage.\n',
    );
  });

  it('--version and --help', async () => {
    expect((await runCli(['--version'])).stdout).toBe(`${VERSION}\n`);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('model-gate run [flags]');
  });
});
