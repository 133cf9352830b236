// A user's own suite: a YAML file next to their workflow, with rendered screens and their own image
// files, validated with messages that name the file, the scenario and the field, fingerprinted like
// the built-in suites, and run end to end like them.
import { afterAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuiteFile } from '../src/suite/load.js';
import { runCli } from './helpers/processes.js';
import { REPO_ROOT, startOpenAIServer, stopAllServers } from './helpers/servers.js';
import { readReport } from './helpers/runs.js';

afterAll(stopAllServers);

const EXAMPLE = 'examples/custom-suite/invoice-checks.yml';

/** A copy of the example suite in a temp folder, with `edit` applied to its text. */
function suiteCopy(edit: (text: string) => string = (text) => text): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-gate-suite-'));
  mkdirSync(join(dir, 'images'));
  copyFileSync('examples/custom-suite/images/scanned-total-wrong.jpg', join(dir, 'images', 'scanned-total-wrong.jpg'));
  const file = join(dir, 'invoice-checks.yml');
  writeFileSync(file, edit(readFileSync(EXAMPLE, 'utf8')));
  return file;
}

describe('custom suites', () => {
  it('the example loads: rendered forms and a JPEG file, the same fingerprint on every load', async () => {
    const first = await loadSuiteFile(EXAMPLE);
    const second = await loadSuiteFile(EXAMPLE);
    expect(first.fingerprint).toBe(second.fingerprint);
    expect(first.scenarios.map((scenario) => [scenario.id, scenario.image!.mediaType])).toEqual([
      ['vat-mismatch', 'image/png'],
      ['due-before-issue', 'image/png'],
      ['clean-invoice', 'image/png'],
      ['scanned-total-wrong', 'image/jpeg'],
    ]);
    for (const scenario of first.scenarios)
      expect(
        scenario.image!.bytes.equals(second.scenarios.find((entry) => entry.id === scenario.id)!.image!.bytes),
      ).toBe(true);
  });

  it("the fingerprint changes when the user's image file changes", async () => {
    const file = suiteCopy();
    const before = (await loadSuiteFile(file)).fingerprint;
    const image = join(file, '..', 'images', 'scanned-total-wrong.jpg');
    writeFileSync(image, Buffer.concat([readFileSync(image), Buffer.from([0])]));
    expect((await loadSuiteFile(file)).fingerprint).not.toBe(before);
  });

  it("runs end to end: detection and false positives from the user's scenarios, the suite file in the report", async () => {
    const suite = await loadSuiteFile(EXAMPLE);
    const answers = Object.fromEntries(
      suite.scenarios.map((scenario) => [
        scenario.image!.sha256,
        {
          hit: JSON.stringify({ problems: scenario.anomaly ? [{ field: scenario.keywords[0], reason: 'wrong' }] : [] }),
          miss: '{"problems": []}',
        },
      ]),
    );
    const server = await startOpenAIServer({ models: ['test-model'], answers });
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-custom-'));
    const result = await runCli([
      'run',
      '--base-url',
      `${server.url}/v1`,
      '--model',
      'test-model',
      '--suite',
      EXAMPLE,
      '--report-dir',
      dir,
      '--warm-runs',
      '2',
    ]);
    expect(result.code).toBe(0);
    const report = readReport(dir);
    expect(report.suite).toEqual({
      id: 'invoice-checks',
      version: 1,
      title: 'Invoice review',
      fingerprint: suite.fingerprint,
      scenarios: 4,
      size: { preset: 'smoke', scenarios: 4, generated: 0, generates: false },
      file: EXAMPLE,
    });
    expect(report.targets[0]!.measurement!.metrics.detectionRatePct).toEqual({ value: 100, n: 6, count: 6 });
    expect(report.targets[0]!.measurement!.metrics.falsePositiveRatePct).toEqual({ value: 0, n: 2, count: 0 });
    expect((await server.stats()).lastChat?.imageSha256).toBe(suite.scenarios.at(-1)!.image!.sha256);
  });

  it.each([
    [
      'an image path that leaves the suite folder',
      (text: string) => text.replace('file: images/scanned-total-wrong.jpg', 'file: ../../../etc/passwd'),
      (file: string) =>
        `Suite file ${file}: scenario "scanned-total-wrong": file "../../../etc/passwd" points outside the suite's folder; give a path relative to the suite file, such as images/login.png.`,
    ],
    [
      'a missing image file',
      (text: string) => text.replace('images/scanned-total-wrong.jpg', 'images/missing.png'),
      (file: string) =>
        `Suite file ${file}: scenario "scanned-total-wrong": file "images/missing.png" does not exist (looked for ${join(file, '..', 'images', 'missing.png')}).`,
    ],
    [
      'a file that is not an image',
      (text: string) => text.replace('images/scanned-total-wrong.jpg', 'invoice-checks.yml'),
      (file: string) =>
        `Suite file ${file}: scenario "scanned-total-wrong": file "invoice-checks.yml" is neither a PNG nor a JPEG image.`,
    ],
    [
      'an unknown scorer',
      (text: string) => text.replace('kind: flagged-items', 'kind: bleu'),
      (file: string) =>
        `Suite file ${file}: scorer.kind: expected a scorer kind: flagged-items, extraction, tool-call or coordinates.`,
    ],
    [
      'a scenario without anomaly',
      (text: string) => text.replace('    anomaly: false\n', ''),
      (file: string) =>
        `Suite file ${file}: scenarios[2].anomaly (scenario "clean-invoice"): expected true or false (must a good model flag something on this screen).`,
    ],
    [
      'rendered images without a size',
      (text: string) => text.replace('image: { width: 900, height: 420 }', ''),
      (file: string) =>
        `Suite file ${file}: image: rendered images (form, slide, canvas) need the suite's image size, such as image: { width: 1024, height: 600 } (scenario "vat-mismatch" needs it).`,
    ],
    [
      'two image sources',
      (text: string) =>
        text.replace(
          '    file: images/scanned-total-wrong.jpg',
          '    file: images/scanned-total-wrong.jpg\n    canvas: { shapes: [{ shape: circle, color: "#ff0000", x: 10, y: 10, size: 8 }] }',
        ),
      (file: string) => `Suite file ${file}: scenarios[3]: give at most one image source: form, slide, canvas or file.`,
    ],
    [
      'a field left out',
      (text: string) => text.replace(/^description:.*\n(?: {2}.*\n)*/m, ''),
      (file: string) => `Suite file ${file}: description is missing; add it, with text.`,
    ],
    [
      'a wrong-typed field',
      (text: string) => text.replace('version: 1', 'version: one'),
      (file: string) =>
        `Suite file ${file}: version: expected a whole number from 1, raised when the suite changes on purpose.`,
    ],
  ])('%s: one message naming the file, the scenario and the field', async (_name, edit, expected) => {
    const file = suiteCopy(edit);
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-custom-'));
    const result = await runCli([
      'run',
      '--base-url',
      'http://127.0.0.1:9/v1',
      '--model',
      'm',
      '--suite',
      file,
      '--report-dir',
      dir,
    ]);
    expect(result.code).toBe(2);
    const report = readReport(dir);
    expect(report).toMatchObject({ verdict: 'error', status: 'failed', error: { kind: 'suite' } });
    expect(report.verdictReason).toBe(expected(file));
    expect(result.stderr + result.stdout).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });

  it('an image that is a link leading out of the suite folder: refused, naming where it leads', async () => {
    const file = suiteCopy((text) => text.replace('images/scanned-total-wrong.jpg', 'images/linked.jpg'));
    const outside = join(REPO_ROOT, 'examples', 'custom-suite', 'images', 'scanned-total-wrong.jpg');
    symlinkSync(outside, join(file, '..', 'images', 'linked.jpg'));
    await expect(loadSuiteFile(file)).rejects.toThrow(
      `Suite file ${file}: scenario "scanned-total-wrong": file "images/linked.jpg" is a link to ${outside}, outside the suite's folder; copy the image into the folder instead.`,
    );
  });

  it('a tool-call suite without tools, and an extraction scenario without ground truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-suite-'));
    const routing = join(dir, 'routing.yml');
    writeFileSync(
      routing,
      'id: r\nversion: 1\ntitle: t\ndescription: d\nprompt: p\noutput: { schema: {} }\nscorer: { kind: tool-call }\nscenarios:\n  - { id: a, category: c, prompt: "open chrome", expect: { tool: open_app } }\n',
    );
    await expect(loadSuiteFile(routing)).rejects.toThrow(
      `Suite file ${routing}: tools: a tool-call suite lists the tools the model may call (scenario "a" needs it).`,
    );
    const extraction = join(dir, 'extraction.yml');
    writeFileSync(
      extraction,
      'id: x\nversion: 1\ntitle: t\ndescription: d\nprompt: p\noutput: { schema: {} }\nscorer: { kind: extraction }\nimage: { width: 640, height: 360 }\nscenarios:\n  - { id: a, category: c, slide: { title: Hello } }\n',
    );
    await expect(loadSuiteFile(extraction)).rejects.toThrow(
      `Suite file ${extraction}: scenarios[0].expect (scenario "a"): an extraction scenario needs expect.text and expect.entities (and expect.relations where the image shows any).`,
    );
  });
});
