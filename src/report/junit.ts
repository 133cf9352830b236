// junit.xml for test-report tools. Its failures are the run's findings, so that a reporter is red
// exactly when the gate found something: a regressed metric, an absolute threshold not met, a
// target that could not be measured or was cut short, and each scenario that passed in the
// baseline, fails now and counts toward a quality or error rate that regressed. A scenario that
// fails without being such evidence (it failed in the baseline too, it turned within noise, there
// is no baseline) is reported as skipped with its reason, as pytest reports an expected failure;
// so is an inconclusive metric. Written with junit-report-builder.
import junitReportBuilderModule, { type Builder } from 'junit-report-builder';
import { METRICS } from '../metric-catalog.js';
import { scenarioProblems, type ScenarioOutcome } from '../measure/metrics.js';
import { xmlText } from '../lib/untrusted.js';
import type { BaselineUse } from '../gate/apply-baselines.js';
import { scenariosOfMetric } from '../gate/rules.js';
import { plural } from '../lib/words.js';
import type { Report, TargetReport } from './report.js';

// A CommonJS default export: Node's ESM loader hands over module.exports (the builder under
// .default), the bundler hands over the builder itself; accept both.
const junitReportBuilder = ((junitReportBuilderModule as unknown as { default?: Builder }).default ??
  junitReportBuilderModule) as unknown as Builder;

/** What keeps a measured target from being gated: it stopped short, or lost calls to an outage. */
function cutShort(target: TargetReport): string | null {
  if (target.stopped) return target.stopped;
  const lost = target.outages.reduce((sum, outage) => sum + outage.callsLost, 0);
  return lost > 0 ? `${plural(lost, 'call')} lost to a server outage, so nothing was gated on this target.` : null;
}

const UNCOMPARED: Record<BaselineUse['status'] | 'none', string> = {
  compared: '',
  missing: 'no baseline to compare with',
  incomparable: 'the baseline was measured otherwise, so nothing was compared',
  written: 'this run wrote the baseline',
  none: 'this target was not compared with a baseline',
};

/** Why a failing scenario is not a finding of this run, or null when it is one. */
function notAFinding(outcome: ScenarioOutcome, target: TargetReport, report: Report): string | null {
  const use = report.baselines.find((entry) => entry.target === target.name);
  if (use?.status !== 'compared') return UNCOMPARED[use?.status ?? 'none'];
  const turned = target.flips.some((flip) => flip.scenario === outcome.scenario && flip.before && !flip.now);
  if (!turned) return 'it failed in the baseline too';
  // Evidence of a regressed quality or error rate that counts this scenario (detection counts anomaly
  // screens only); latency regressing says nothing about which answers turned.
  const scenario = [{ id: outcome.scenario, anomaly: outcome.anomaly }];
  const regressed = report.metricVerdicts.some(
    (verdict) =>
      verdict.target === target.name &&
      verdict.status === 'regressed' &&
      ['rate', 'score'].includes(METRICS[verdict.metric].gate.test) &&
      scenariosOfMetric(verdict.metric, scenario).length > 0,
  );
  return regressed ? null : 'it passed in the baseline, but no quality metric it counts toward regressed beyond noise';
}

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
    const short = cutShort(target);
    if (short) suite.testCase().className(`model-gate.${target.name}`).name('run').failure(xmlText(short), 'run');
    for (const outcome of target.measurement.scenarios) {
      const testCase = suite
        .testCase()
        .className(`model-gate.${target.name}.${outcome.category}`)
        .name(outcome.scenario);
      const problems = scenarioProblems(outcome);
      if (problems.length === 0) continue;
      const text = `${outcome.scenario}: ${problems.join('; ')}`;
      const excuse = notAFinding(outcome, target, report);
      if (excuse) testCase.skipped().standardOutput(xmlText(`${text} (not a finding: ${excuse}).`));
      else testCase.failure(xmlText(`${text}; it passed in the baseline.`), outcome.anomaly ? 'anomaly' : 'clean');
    }
    for (const verdict of report.metricVerdicts) {
      if (verdict.target !== target.name || verdict.status === 'not-gated') continue;
      const testCase = suite.testCase().className(`model-gate.${target.name}.gate`).name(verdict.metric);
      if (verdict.status === 'regressed')
        testCase.failure(xmlText(`${verdict.metric} regressed: ${verdict.reason}`), 'regression');
      else if (verdict.status === 'inconclusive')
        testCase.skipped().standardOutput(xmlText(`${verdict.metric} inconclusive: ${verdict.reason}`));
    }
    for (const check of report.thresholdChecks) {
      if (check.target !== target.name) continue;
      const testCase = suite.testCase().className(`model-gate.${target.name}.thresholds`).name(check.threshold);
      if (!check.passed) testCase.failure(xmlText(check.reason), 'threshold');
    }
  }
  return builder.build();
}
