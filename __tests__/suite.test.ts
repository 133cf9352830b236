// The built-in suite is versioned by its fingerprint: rendering is deterministic, the committed
// images are what the renderer makes, and the committed fingerprint matches, so any change to the
// suite is deliberate (re-render with `npm run suites:render` and commit).
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinSuitesDir } from '../src/lib/resources.js';
import { GENERATORS } from '../src/suite/families/index.js';
import {
  assembleSuite,
  builtinSuiteDefinition,
  builtinSuiteIds,
  checkScenarios,
  expandDefinition,
  loadBuiltinSmokeSuite,
  loadSuite,
  parseSuiteDefinition,
  readCatalog,
  sha256,
} from '../src/suite/load.js';
import { renderSuiteImages } from '../src/suite/render-suite.js';
import { suiteFileSchema, type SuiteFile } from '../src/suite/schema.js';
import type { SuiteSize } from '../src/suite-sizes.js';

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
    const committed = loadBuiltinSmokeSuite('safety-checks');
    const rendered = await renderSuiteImages(definition);
    for (const scenario of committed.scenarios) {
      expect({ scenario: scenario.id, same: rendered.get(scenario.id)!.equals(scenario.image!.bytes) }).toEqual({
        scenario: scenario.id,
        same: true,
      });
    }
    const catalog = readCatalog();
    expect(Object.keys(catalog)).toEqual(builtinSuiteIds());
    expect(committed.fingerprint).toBe(catalog['safety-checks']!.smoke);
  });

  it('changes fingerprint when a prompt, a keyword or an image changes', () => {
    const committed = loadBuiltinSmokeSuite('safety-checks');
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
  // The hand-written scenarios: the suite at size smoke, as committed.
  const definition = expandDefinition(builtinSuiteDefinition(id).definition, 'smoke').definition;

  it("renders every scenario image twice to the same bytes, at the suite's size, and the committed images and fingerprint are current", async () => {
    const first = await renderSuiteImages(definition);
    const second = await renderSuiteImages(definition);
    const committed = loadBuiltinSmokeSuite(id);
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
    expect(assembleSuite(definition, first).fingerprint).toBe(readCatalog()[id]!.smoke);
  });
});

describe('the seed benches as built-in suites', () => {
  it('slide-extraction: three levels of slides, each with text, entities and relations where arrows are drawn', () => {
    const suite = loadBuiltinSmokeSuite('slide-extraction');
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
    const suite = loadBuiltinSmokeSuite('voice-commands');
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
    for (const scenario of loadBuiltinSmokeSuite('ui-coordinates').scenarios) {
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

describe('generated scenario families', () => {
  const { definition } = builtinSuiteDefinition('safety-checks');
  const categories = (size: SuiteSize) =>
    new Set(expandDefinition(definition, size).definition.scenarios.map((scenario) => scenario.category));

  it('draws the same scenarios, bytes and fingerprint from the same seed and size, and the catalog holds them', async () => {
    const atSize = async () => {
      const expanded = expandDefinition(definition, 40).definition;
      return { expanded, images: await renderSuiteImages(expanded) };
    };
    const [first, second] = [await atSize(), await atSize()];
    expect(first.expanded).toEqual(second.expanded);
    expect(first.images.size).toBe(40);
    for (const [id, bytes] of first.images)
      expect({ id, same: bytes.equals(second.images.get(id)!) }).toEqual({ id, same: true });
    expect(assembleSuite(first.expanded, first.images).fingerprint).toBe(
      assembleSuite(second.expanded, second.images).fingerprint,
    );
    // A larger size only adds scenarios: the first 40 of standard are these.
    const standard = await loadSuite('safety-checks', 'standard');
    expect(standard.scenarios.slice(0, 40).map((scenario) => scenario.id)).toEqual(
      first.expanded.scenarios.map((scenario) => scenario.id),
    );
    expect(standard.scenarios.slice(0, 40).map((scenario) => scenario.image!.sha256)).toEqual(
      first.expanded.scenarios.map((scenario) => sha256(first.images.get(scenario.id)!)),
    );
    expect(standard.fingerprint).toBe(readCatalog()['safety-checks']!.standard);
    expect(standard.size).toEqual({ preset: 'standard', scenarios: 299, generated: 290, generates: true });
  });

  it("gets a new fingerprint when the generator's version, the seed or the size changes", () => {
    const images = new Map<string, Buffer>();
    const fingerprint = (changed: SuiteFile, size: SuiteSize = 20) => {
      const expanded = expandDefinition(changed, size).definition;
      for (const scenario of expanded.scenarios) images.set(scenario.id, Buffer.from(scenario.id));
      return assembleSuite(expanded, images).fingerprint;
    };
    const base = fingerprint(definition);
    expect(fingerprint(definition)).toBe(base);
    expect(fingerprint(definition, 21)).not.toBe(base);
    expect(fingerprint({ ...definition, families: [{ generator: 'patient-records', seed: 2 }] })).not.toBe(base);
    const generator = GENERATORS['patient-records'] as { version: number };
    generator.version += 1;
    try {
      expect(fingerprint(definition)).not.toBe(base);
    } finally {
      generator.version -= 1;
    }
  });

  it('holds every anomaly of the seed bench, more of the same kind, and near misses at every size above smoke', () => {
    const anomalies = [
      'birth-date-aberrant',
      'patient-id-malformed',
      'diagnosis-empty',
      'diagnosis-incompatible-with-age',
      'billing-flat-rate-vs-stay',
      'discharge-before-admission',
      'sex-specific-diagnosis',
      'impossible-date',
    ];
    for (const size of ['standard', 'full', 32] as const) {
      const present = categories(size);
      expect({ size, missing: anomalies.filter((kind) => !present.has(kind)) }).toEqual({ size, missing: [] });
      expect({ size, nearMiss: present.has('near-miss'), clean: present.has('clean') }).toEqual({
        size,
        nearMiss: true,
        clean: true,
      });
    }
    expect(categories('smoke').has('near-miss')).toBe(false);
    const near = expandDefinition(definition, 'standard').definition.scenarios.filter(
      (scenario) => scenario.category === 'near-miss',
    );
    expect(new Set(near.map((scenario) => scenario.id.replace(/^record-\d+-/, '')))).toEqual(
      new Set(['near-miss-centenarian', 'near-miss-infant', 'near-miss-long-stay']),
    );
    expect(near.every((scenario) => scenario.anomaly === false)).toBe(true);
  });

  it('varies the records: layouts, type sizes, scales and JPEG compression', async () => {
    const standard = await loadSuite('safety-checks', 'standard');
    const generated = standard.scenarios.filter((scenario) => scenario.id.startsWith('record-'));
    const distinct = (pick: (scenario: (typeof generated)[number]) => unknown) => new Set(generated.map(pick)).size;
    expect(distinct((scenario) => scenario.form!['font-size'])).toBeGreaterThanOrEqual(5);
    expect(distinct((scenario) => scenario.form!.rows.map(([label]) => label).join('|'))).toBeGreaterThan(50);
    expect(distinct((scenario) => scenario.raster!.scale)).toBe(3);
    expect(generated.filter((scenario) => scenario.image!.mediaType === 'image/jpeg').length).toBeGreaterThan(30);
    expect(
      distinct((scenario) => scenario.form!.rows.find(([label]) => /IPP|Identifiant/.test(label))?.[1]),
    ).toBeGreaterThan(200);
  });

  it('names an unknown generator, and one written for another scorer, in one sentence', () => {
    const text = readFileSync(join(builtinSuitesDir(), 'safety-checks', 'suite.yaml'), 'utf8');
    expect(() =>
      parseSuiteDefinition(text.replace('generator: patient-records', 'generator: patient-record'), 'my-suite.yml'),
    ).toThrow(
      'Suite file my-suite.yml: families[0].generator: "patient-record" is not a scenario generator; expected one of architecture-slides, patient-records, shape-layouts, voice-requests.',
    );
    expect(() =>
      parseSuiteDefinition(
        text.replace(
          /kind: flagged-items\n\s+list: additional_checks\n\s+fields: \[label, evidence\]/,
          'kind: coordinates',
        ),
        'my-suite.yml',
      ),
    ).toThrow(
      /families\[0\]\.generator: patient-records writes scenarios for the flagged-items scorer, and this suite's scorer is coordinates\./,
    );
  });
});

describe.each(['safety-checks', 'slide-extraction', 'ui-coordinates', 'voice-commands'])('the families of %s', (id) => {
  const { definition } = builtinSuiteDefinition(id);

  it('draw the same valid, distinct scenarios from the same seed, at every size', () => {
    const full = expandDefinition(definition, 'full').definition;
    expect(full).toEqual(expandDefinition(definition, 'full').definition);
    expect(full.scenarios.length).toBe(definition.sizes!.full);
    // Every generated scenario meets the suite format and what its scorer needs of it.
    expect(suiteFileSchema.safeParse(full).success).toBe(true);
    expect(() => checkScenarios(full, `${id} at size full`)).not.toThrow();
    const standard = expandDefinition(definition, 'standard').definition.scenarios;
    expect(full.scenarios.slice(0, standard.length)).toEqual(standard);
    // At the default size no two scenarios ask the same thing.
    const asked = standard.map((scenario) =>
      JSON.stringify([scenario.prompt, scenario.form, scenario.slide, scenario.canvas]),
    );
    expect(new Set(asked).size).toBe(standard.length);
  });
});

describe('what each generator draws', () => {
  const standard = (id: string) =>
    expandDefinition(builtinSuiteDefinition(id).definition, 'standard').definition.scenarios;

  it('voice-requests: every tool in every style, the expected arguments spelled right', () => {
    const generated = standard('voice-commands').filter((scenario) => scenario.id.startsWith('request-'));
    expect(new Set(generated.map((scenario) => `${scenario.expect!.tool} ${scenario.category}`)).size).toBe(24);
    const weather = generated.filter(
      (scenario) => scenario.expect!.tool === 'weather' && scenario.category === 'misspelled',
    );
    expect(weather.length).toBeGreaterThan(5);
    for (const scenario of weather) expect(String(scenario.expect!.arguments!.city)).toMatch(/^[A-Z][a-z]+$/);
    // Most misspelled requests do not contain their entity as written: the model must repair it.
    const repaired = weather.filter((scenario) => !scenario.prompt!.includes(String(scenario.expect!.arguments!.city)));
    expect(repaired.length).toBeGreaterThan(weather.length / 2);
  });

  it('shape-layouts: each label names one shape, shapes never overlap, the points are their centres', () => {
    for (const scenario of standard('ui-coordinates').filter((entry) => entry.id.startsWith('layout-'))) {
      const shapes = scenario.canvas!.shapes;
      expect(new Set(shapes.map((shape) => `${shape.color} ${shape.shape}`)).size).toBe(shapes.length);
      for (const [i, a] of shapes.entries())
        for (const b of shapes.slice(i + 1))
          expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan((a.size + b.size) / 2);
      for (const point of scenario.expect!.points!)
        expect(shapes.some((shape) => shape.x === point.x && shape.y === point.y)).toBe(true);
    }
  });

  it('architecture-slides: every relation joins two named products, every arrow two neighbouring boxes', () => {
    const generated = standard('slide-extraction').filter((scenario) => scenario.id.startsWith('slide-'));
    expect(new Set(generated.map((scenario) => scenario.category))).toEqual(new Set(['text-only', 'diagram', 'dense']));
    for (const scenario of generated) {
      const names = scenario.expect!.entities!.map((entity) => (typeof entity === 'string' ? entity : entity.name));
      for (const relation of scenario.expect!.relations!)
        expect(names).toEqual(expect.arrayContaining([relation.from, relation.to]));
      const boxes = new Map(scenario.slide!.boxes.map((box) => [box.id, box]));
      for (const arrow of scenario.slide!.arrows) {
        const [from, to] = [boxes.get(arrow.from)!, boxes.get(arrow.to)!];
        // Side by side or one above the other: the same row or the same column.
        expect(from.x === to.x || from.y === to.y).toBe(true);
      }
      for (const word of scenario.expect!.text!.split(' ')) expect(scenario.expect!.text).toContain(word);
    }
  });
});
