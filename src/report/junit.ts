// junit.xml for test-report tools: one test case per scenario and target, failing with the reason
// when the scenario fails (missed anomaly, false alarm, failed calls, invalid JSON), and one
// failing case for a target that could not be measured. Written with junit-report-builder.
import junitReportBuilderModule, { type Builder } from 'junit-report-builder';
import { scenarioProblems } from '../measure/metrics.js';
import { xmlText } from '../lib/untrusted.js';
import type { Report } from './report.js';

// A CommonJS default export: Node's ESM loader hands over module.exports (the builder under
// .default), the bundler hands over the builder itself; accept both.
const junitReportBuilder = ((junitReportBuilderModule as unknown as { default?: Builder }).default ??
  junitReportBuilderModule) as unknown as Builder;

export function junitXml(report: Report): string {
  const builder = junitReportBuilder.newBuilder();
  for (const target of report.targets) {
    const suite = builder.testSuite().name(`model-gate ${report.suite?.id ?? ''} · ${target.name}`.trim());
    if (!target.preflight.ok || !target.measurement) {
      suite
        .testCase()
        .className(`model-gate.${target.name}`)
        .name('preflight')
        .failure(xmlText(target.preflight.diagnosis ?? 'The target could not be measured.'), 'preflight');
      continue;
    }
    for (const outcome of target.measurement.scenarios) {
      const testCase = suite
        .testCase()
        .className(`model-gate.${target.name}.${outcome.category}`)
        .name(outcome.scenario);
      const problems = scenarioProblems(outcome);
      if (problems.length > 0)
        testCase.failure(`${outcome.scenario}: ${problems.join('; ')}.`, outcome.anomaly ? 'anomaly' : 'clean');
    }
    for (const verdict of report.metricVerdicts.filter(
      (entry) => entry.target === target.name && entry.status === 'regressed',
    )) {
      suite
        .testCase()
        .className(`model-gate.${target.name}.gate`)
        .name(verdict.metric)
        .failure(xmlText(`${verdict.metric} regressed: ${verdict.reason}`), 'regression');
    }
  }
  return builder.build();
}
