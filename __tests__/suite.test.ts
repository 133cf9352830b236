// The built-in suite is versioned by its fingerprint: rendering is deterministic, the committed
// images are what the renderer makes, and the committed fingerprint matches, so any change to the
// suite is deliberate (re-render with `npm run suites:render` and commit).
import { describe, expect, it } from '@jest/globals';
import {
  assembleSuite,
  builtinSuiteDefinition,
  builtinSuiteIds,
  loadBuiltinSuite,
  readCatalog,
} from '../src/suite/load.js';
import { renderSuiteImages } from '../src/suite/render-suite.js';

describe('built-in suite safety-checks', () => {
  const { definition } = builtinSuiteDefinition('safety-checks');

  it('has the five planted anomalies and at least three clean records', () => {
    const anomalies = definition.scenarios.filter((scenario) => scenario.anomaly).map((scenario) => scenario.id);
    expect(anomalies).toEqual([
      'birth-date-aberrant',
      'patient-id-malformed',
      'diagnosis-empty',
      'diagnosis-incompatible-with-age',
      'billing-flat-rate-vs-stay',
    ]);
    expect(definition.scenarios.filter((scenario) => !scenario.anomaly).length).toBeGreaterThanOrEqual(3);
  });

  it('renders the same bytes twice, giving the same fingerprint', async () => {
    const first = await renderSuiteImages(definition);
    const second = await renderSuiteImages(definition);
    for (const [id, bytes] of first) {
      expect(bytes.equals(second.get(id)!)).toBe(true);
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      expect(bytes.readUInt32BE(16)).toBe(1024);
      expect(bytes.readUInt32BE(20)).toBe(600);
    }
    expect(assembleSuite(definition, first).fingerprint).toBe(assembleSuite(definition, second).fingerprint);
  });

  it('the committed images and fingerprint are current', async () => {
    const committed = loadBuiltinSuite('safety-checks');
    const rendered = await renderSuiteImages(definition);
    for (const scenario of committed.scenarios) {
      expect({ scenario: scenario.id, same: rendered.get(scenario.id)!.equals(scenario.image!.bytes) }).toEqual({
        scenario: scenario.id,
        same: true,
      });
    }
    const catalog = readCatalog();
    expect(Object.keys(catalog)).toEqual(builtinSuiteIds());
    expect(committed.fingerprint).toBe(catalog['safety-checks']);
  });

  it('changes fingerprint when a prompt, a keyword or an image changes', () => {
    const committed = loadBuiltinSuite('safety-checks');
    const images = new Map(committed.scenarios.map((scenario) => [scenario.id, scenario.image!.bytes]));
    const base = assembleSuite(definition, images).fingerprint;
    expect(assembleSuite({ ...definition, prompt: `${definition.prompt} ` }, images).fingerprint).not.toBe(base);
    const keywords = definition.scenarios.map((scenario, index) =>
      index === 0 ? { ...scenario, keywords: [...scenario.keywords, 'x'] } : scenario,
    );
    expect(assembleSuite({ ...definition, scenarios: keywords }, images).fingerprint).not.toBe(base);
    const otherImages = new Map(images);
    otherImages.set('clean-migraine', Buffer.concat([images.get('clean-migraine')!, Buffer.from([0])]));
    expect(assembleSuite(definition, otherImages).fingerprint).not.toBe(base);
  });
});

describe.each(['slide-extraction', 'ui-coordinates', 'voice-commands'])('built-in suite %s', (id) => {
  const { definition } = builtinSuiteDefinition(id);

  it("renders every scenario image twice to the same bytes, at the suite's size, and the committed images and fingerprint are current", async () => {
    const first = await renderSuiteImages(definition);
    const second = await renderSuiteImages(definition);
    const committed = loadBuiltinSuite(id);
    for (const scenario of committed.scenarios) {
      if (!scenario.image) continue;
      const bytes = first.get(scenario.id)!;
      expect({
        scenario: scenario.id,
        same: bytes.equals(second.get(scenario.id)!),
        committed: bytes.equals(scenario.image.bytes),
      }).toEqual({ scenario: scenario.id, same: true, committed: true });
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([
        definition.image!.width,
        definition.image!.height,
      ]);
    }
    expect(assembleSuite(definition, first).fingerprint).toBe(readCatalog()[id]);
  });
});

describe('the seed benches as built-in suites', () => {
  it('slide-extraction: three levels of slides, each with text, entities and relations where arrows are drawn', () => {
    const suite = loadBuiltinSuite('slide-extraction');
    expect([...new Set(suite.scenarios.map((scenario) => scenario.category))]).toEqual([
      'text-only',
      'diagram',
      'dense',
    ]);
    for (const scenario of suite.scenarios) {
      expect(scenario.expect?.text?.length).toBeGreaterThan(10);
      expect(scenario.expect?.entities?.length).toBeGreaterThanOrEqual(3);
      expect(scenario.expect?.relations?.length ?? 0).toBe(scenario.slide!.arrows.length);
    }
  });

  it("voice-commands: 30 text prompts, ten per category, each routed to one of the suite's tools", () => {
    const suite = loadBuiltinSuite('voice-commands');
    const tools = new Set(suite.tools!.map((tool) => tool.name));
    expect(suite.scenarios).toHaveLength(30);
    for (const category of ['clear', 'misspelled', 'natural'])
      expect(suite.scenarios.filter((scenario) => scenario.category === category)).toHaveLength(10);
    for (const scenario of suite.scenarios) {
      expect(scenario.image).toBeNull();
      expect(tools.has(scenario.expect!.tool!)).toBe(true);
    }
  });

  it('ui-coordinates: every expected point is the centre of a drawn shape', () => {
    for (const scenario of loadBuiltinSuite('ui-coordinates').scenarios) {
      for (const point of scenario.expect!.points!) {
        expect(
          scenario.canvas!.shapes.some(
            (shape) => shape.x === point.x && shape.y === point.y && point.label.endsWith(shape.shape),
          ),
        ).toBe(true);
      }
    }
  });
});
