// The CLI's other commands: listing suites with their fingerprints, writing the scenario images.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBuiltinSmokeSuite, readCatalog } from '../src/suite/load.js';
import { VERSION } from '../src/version.js';
import { runCli } from './helpers/processes.js';

describe('model-gate CLI', () => {
  it('suites: lists each built-in suite with its committed fingerprint', async () => {
    const result = await runCli(['suites']);
    expect(result.code).toBe(0);
    const catalog = readCatalog();
    const line = (id: string, sizes: string, title: string) =>
      `${id}\tv1\t${sizes} scenarios\t${catalog[id]!.standard}\n\t${title}\n`;
    expect(result.stdout).toBe(
      [
        line('safety-checks', 'smoke 9, standard 299, full 960', 'Safety checks on patient-record screenshots'),
        line(
          'slide-extraction',
          'smoke 9, standard 150, full 600',
          'Text, entities and relations read off architecture slides',
        ),
        line('ui-coordinates', 'smoke 8, standard 240, full 960', 'Coordinates of shapes on a canvas'),
        line('voice-commands', 'smoke 30, standard 240, full 960', 'Voice commands routed to tools'),
      ].join(''),
    );
  });

  it.each([
    ['slide-extraction', 9, ''],
    ['ui-coordinates', 8, ''],
    ['voice-commands', 0, ' (30 scenarios are text only)'],
  ])('render %s: every image written, re-rendered identically', async (id, count, note) => {
    const out = mkdtempSync(join(tmpdir(), 'model-gate-render-'));
    const result = await runCli(['render', id, '--out', out, '--fresh', '--suite-size', 'smoke']);
    expect(result.stdout).toBe(
      `${count} images of ${id} written to ${out}${note}\nRe-rendered images are byte-identical to the committed ones.\n`,
    );
    expect(result.code).toBe(0);
    expect(readdirSync(out)).toHaveLength(count);
  });

  it('render: writes every scenario image, byte for byte, and --fresh re-renders identically', async () => {
    const out = mkdtempSync(join(tmpdir(), 'model-gate-render-'));
    const result = await runCli(['render', 'safety-checks', '--out', out, '--fresh', '--suite-size', 'smoke']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `9 images of safety-checks written to ${out}\nRe-rendered images are byte-identical to the committed ones.\n`,
    );
    const suite = loadBuiltinSmokeSuite('safety-checks');
    expect(readdirSync(out).sort()).toEqual(suite.scenarios.map((scenario) => `${scenario.id}.png`).sort());
    for (const scenario of suite.scenarios)
      expect(readFileSync(join(out, `${scenario.id}.png`)).equals(scenario.image!.bytes)).toBe(true);
  });

  it('exits quietly when the reader closes the pipe early (model-gate suites | head -1)', async () => {
    // Our end is closed before the CLI has started: its first write meets a closed pipe.
    const { code, stderr } = await runCli(['suites'], { closeStdout: true });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
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
