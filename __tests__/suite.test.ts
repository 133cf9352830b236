// The built-in suite is versioned by its fingerprint: rendering is deterministic, the committed
// images are what the renderer makes, and the committed fingerprint matches, so any change to the
// suite is deliberate (re-render with `npm run suites:render` and commit).
import { describe, expect, it } from '@jest/globals';
import { assembleSuite, builtinSuiteDefinition, builtinSuiteIds, loadBuiltinSuite, readCatalog } from '../src/suite/load.js';
import { renderSuiteImages } from '../src/suite/render-suite.js';

describe('built-in suite safety-checks', () => {
  const { definition } = builtinSuiteDefinition('safety-checks');

  it('has the five planted anomalies and at least three clean records', () => {
    const anomalies = definition.scenarios.filter((scenario) => scenario.anomaly).map((scenario) => scenario.id);
    expect(anomalies).toEqual(['birth-date-aberrant', 'patient-id-malformed', 'diagnosis-empty', 'diagnosis-incompatible-with-age', 'billing-flat-rate-vs-stay']);
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
      expect({ scenario: scenario.id, same: rendered.get(scenario.id)!.equals(scenario.image!.bytes) }).toEqual({ scenario: scenario.id, same: true });
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
    const keywords = definition.scenarios.map((scenario, index) => (index === 0 ? { ...scenario, keywords: [...scenario.keywords, 'x'] } : scenario));
    expect(assembleSuite({ ...definition, scenarios: keywords }, images).fingerprint).not.toBe(base);
    const otherImages = new Map(images);
    otherImages.set('clean-migraine', Buffer.concat([images.get('clean-migraine')!, Buffer.from([0])]));
    expect(assembleSuite(definition, otherImages).fingerprint).not.toBe(base);
  });
});
