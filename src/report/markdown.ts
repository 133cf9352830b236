// summary.md (and the step summary): the verdict first, then one table per target. Built by a pure
// function from the report, so it is easy to test; model output appears only through inlineUntrusted.
import type { SuiteSizeReport } from '../suite-sizes.js';
import type { Metrics, MetricValue } from '../measure/metrics.js';
import { METRIC_NAMES, METRICS, type MetricName } from '../metric-catalog.js';
import type { BaselineChange } from '../gate/apply-baselines.js';
import type { MetricVerdict } from '../gate/rules.js';
import { formatMoney } from '../compare/cost.js';
import type { Report, TargetReport } from './report.js';
import { fencedUntrusted, inlineText, inlineUntrusted } from '../lib/untrusted.js';
import { defined } from '../lib/defined.js';
import { plural } from '../lib/words.js';

const VERDICT_ICON = { pass: '✅', fail: '❌', 'no-baseline': 'ℹ️', incomparable: '⚠️', error: '⚠️' } as const;
const STATUS_TEXT = {
  regressed: '❌ regressed',
  improved: '🟢 improved',
  'within-noise': '✅ within noise',
  inconclusive: '⚠️ inconclusive',
  'not-gated': 'not gated',
} as const;

export function formatMetric(name: MetricName, metric: MetricValue): string {
  if (metric.value === null) return '—';
  const unit = METRICS[name].unit;
  if (unit === '%') return `${metric.value.toFixed(1)} %`;
  if (unit === 'ms') {
    if (metric.value >= 10_000) return `${(metric.value / 1000).toFixed(2)} s`;
    // A few milliseconds (inter-token gaps) keep a decimal, so that a change between them shows.
    return metric.value < 10 ? `${metric.value.toFixed(1)} ms` : `${Math.round(metric.value)} ms`;
  }
  return metric.value.toFixed(1);
}

/** The smallest worse change this run could see, in the change's unit; its direction is the metric's worse one. */
function formatDetectable(verdict: MetricVerdict): string {
  if (verdict.detectable === null) return verdict.pValue === null ? '—' : 'none at this size';
  return `≥ ${verdict.detectable}${verdict.changeUnit === 'points' ? ' pts' : ' %'}`;
}

function verdictText(verdict: MetricVerdict): string {
  if (verdict.status !== 'inconclusive') return STATUS_TEXT[verdict.status];
  return verdict.detectable === null
    ? `${STATUS_TEXT.inconclusive} (too few scenarios to see any change)`
    : `${STATUS_TEXT.inconclusive} (could only see ${formatDetectable(verdict)})`;
}

/** A change with its sign written out, minus as the typographic minus: "+4.2", "−3.1", "±0". */
const signed = (value: number) => `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value)}`;

function formatChange(verdict: MetricVerdict): string {
  if (verdict.change === null) return '—';
  const unit = verdict.changeUnit === 'points' ? ' pts' : ' %';
  const interval = verdict.interval ? ` (95 % CI ${signed(verdict.interval[0])}…${signed(verdict.interval[1])} %)` : '';
  return `${signed(verdict.change)}${unit}${interval}`;
}

function basis(name: MetricName, metric: MetricValue): string {
  if (metric.n === 0) return 'no samples';
  if (metric.count !== undefined) return `${metric.count}/${metric.n}`;
  if (name === 'coldStartMs') return '1 call';
  return `${metric.n} calls`;
}

/** Quality metrics that only some suites measure, in the order a per-category table shows them. */
const SUITE_QUALITY_METRICS = METRIC_NAMES.filter((name) => METRICS[name].suiteSpecific);

/** The metrics worth a row: those measured or compared (a routing suite has no false positives, vLLM no server timings). */
const shownMetrics = (metrics: Metrics, compared: ReadonlyMap<MetricName, unknown> = new Map()) =>
  METRIC_NAMES.filter((name) => metrics[name].n > 0 || metrics[name].value !== null || compared.has(name));
const qualityMetrics = (metrics: Metrics) => SUITE_QUALITY_METRICS.filter((name) => metrics[name].n > 0);

/** Text that came from configuration, shown in code spans; backticks would end the span early. */
const code = (text: string) => `\`${text.replace(/[`\r\n]/g, "'")}\``;

/** A Mermaid xychart (GitHub renders it) of one metric over the baseline's runs and this run. */
function trendChart(name: MetricName, values: readonly (number | null)[]): string[] {
  const labels = values.map((_, index) => (index === values.length - 1 ? '"now"' : `"b${index - values.length + 1}"`));
  const points = values.map((value) => (value === null ? 0 : Math.round(value * 10) / 10));
  const { label, unit } = METRICS[name];
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${label} (${unit})"`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis "${unit}"`,
    `  line [${points.join(', ')}]`,
    '```',
  ];
}

/** How much a summary shows: everything, or less of it when it must fit a pull-request comment. */
export type Detail = 'full' | 'compact' | 'minimal';

/** A pull request's own baseline beside the trusted one: what the change would accept. */
function baselineChangeSection(change: BaselineChange, metrics: Metrics): string[] {
  const who = change.acceptance?.by ? ` by @${inlineText(change.acceptance.by, 100)}` : '';
  const lines = [
    change.status === 'accepted'
      ? `🔓 **This pull request changes its baseline, and the change was accepted${who}** (label ${code(change.acceptance?.label ?? '')}): the run was compared with the pull request's baseline.`
      : `🔒 **This pull request changes its baseline, and no reviewer has accepted the change**: the run was compared with ${inlineText(change.trustedSource)}.`,
    '',
  ];
  if (change.proposedProblem)
    lines.push(`The pull request's baseline cannot be read: ${inlineText(change.proposedProblem)}`, '');
  const side = (values: BaselineChange['trusted'], name: MetricName) => {
    const value = values?.[name];
    return value === undefined || value === null ? '—' : formatMetric(name, { value, n: 1 });
  };
  const names = METRIC_NAMES.filter(
    (name) => metrics[name].value !== null && side(change.trusted, name) !== side(change.proposed, name),
  );
  if (names.length === 0) return lines;
  lines.push('| Metric | Base branch | This pull request |', '| --- | ---: | ---: |');
  for (const name of names)
    lines.push(`| ${METRICS[name].label} | ${side(change.trusted, name)} | ${side(change.proposed, name)} |`);
  return [...lines, ''];
}

function serverLogBlock(target: TargetReport, detail: Detail): string[] {
  if (!target.serverLog || detail === 'minimal') return [];
  return [
    "<details><summary>The server's last output</summary>",
    '',
    fencedUntrusted(target.serverLog),
    '',
    '</details>',
    '',
  ];
}

function targetSection(target: TargetReport, report: Report, detail: Detail): string[] {
  const lines = [`### Target ${code(target.name)} — model ${code(target.model)} at ${code(target.baseUrl)}`, ''];
  if (!target.preflight.ok) {
    const diagnosis = target.preflight.diagnosis ?? 'The preflight check failed.';
    lines.push(
      report.verdictReason.includes(diagnosis)
        ? 'Not measured: the preflight check failed (above).'
        : `⚠️ ${inlineText(diagnosis)}`,
      '',
      ...serverLogBlock(target, detail),
    );
    return lines;
  }
  if (target.stopped && !report.verdictReason.includes(target.stopped))
    lines.push(`⚠️ ${inlineText(target.stopped)}`, '');
  lines.push(...serverLogBlock(target, detail));
  const measurement = target.measurement;
  if (!measurement) return [...lines, 'No measurement.', ''];
  const failedMetrics = new Set(
    report.thresholdChecks
      .filter((check) => check.target === target.name && !check.passed)
      .map((check) => check.metric),
  );
  const verdicts = new Map(
    report.metricVerdicts
      .filter((verdict) => verdict.target === target.name)
      .map((verdict) => [verdict.metric, verdict]),
  );
  const baselineEntry = report.baselines.find((entry) => entry.target === target.name);
  if (baselineEntry?.change) lines.push(...baselineChangeSection(baselineEntry.change, measurement.metrics));
  if (baselineEntry && baselineEntry.status !== 'compared') {
    lines.push(
      baselineEntry.status === 'written'
        ? `Baseline written to ${code(baselineEntry.path)} (${plural(baselineEntry.runs, 'run')} kept).`
        : baselineEntry.status === 'missing'
          ? `No baseline at ${code(baselineEntry.path)}.`
          : `Baseline ${code(baselineEntry.path)} is not comparable: ${inlineText(baselineEntry.reason ?? '')}`,
      '',
    );
  }
  if (verdicts.size > 0) {
    lines.push(
      `Compared with ${code(baselineEntry?.path ?? 'the baseline')} (${plural(baselineEntry?.runs ?? 0, 'run')}).`,
      '',
    );
    lines.push(
      '| Metric | Baseline | Current | Change | Verdict | Could detect | Based on |',
      '| --- | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    let hidden = 0;
    for (const name of shownMetrics(measurement.metrics, verdicts)) {
      const metric = measurement.metrics[name];
      const verdict = verdicts.get(name);
      const mark = failedMetrics.has(name) ? ' ❌' : '';
      if (detail === 'minimal' && !mark && verdict?.status !== 'regressed' && !verdict?.suspicious) {
        hidden += 1;
        continue;
      }
      // A compared row shows the two values its change is computed from (confirmation calls included).
      const baseline = verdict?.baseline == null ? '—' : formatMetric(name, { value: verdict.baseline, n: 1 });
      const current = verdict ? formatMetric(name, { value: verdict.current, n: 1 }) : formatMetric(name, metric);
      lines.push(
        `| ${METRICS[name].label}${mark} | ${baseline} | ${current} | ${verdict ? formatChange(verdict) : '—'} | ${verdict ? verdictText(verdict) : 'not gated'} | ${verdict ? formatDetectable(verdict) : '—'} | ${verdict?.basis ?? basis(name, metric)} |`,
      );
    }
    if (hidden > 0) lines.push('', `${hidden} other metrics within noise or not gated (in the job summary).`);
    lines.push(
      '',
      `<sub>Change: current minus baseline, in points for rates and scores, in percent for the rest; each row's two values are the ones its test compares (latency: the typical call, the geometric mean over scenarios; scores: the mean over the scenarios measured on both sides). Could detect: the smallest change for the worse this run would have caught 9 times in 10 (beyond the margin and significant).</sub>`,
    );
  } else {
    lines.push('| Metric | Value | Based on |', '| --- | ---: | ---: |');
    for (const name of shownMetrics(measurement.metrics)) {
      const metric = measurement.metrics[name];
      const mark = failedMetrics.has(name) ? ' ❌' : '';
      lines.push(`| ${METRICS[name].label}${mark} | ${formatMetric(name, metric)} | ${basis(name, metric)} |`);
    }
  }
  lines.push('');
  const evidence = [...verdicts.values()].filter((verdict) =>
    detail === 'full'
      ? verdict.status === 'regressed' || verdict.suspicious || verdict.status === 'improved'
      : detail === 'compact' && verdict.status === 'regressed',
  );
  if (target.flips.length > 0) {
    const worse = target.flips.filter((entry) => !entry.now).length;
    const listed = target.flips.slice(0, MAX_FLIPS_LISTED);
    lines.push(
      `Scenarios that flipped: ${worse} passed in the baseline and fail now, ${target.flips.length - worse} failed and pass now.`,
      '',
      '<details><summary>Which</summary>',
      '',
      ...listed.map((entry) => `- ${entry.now ? '✅' : '❌'} ${code(entry.scenario)}`),
      ...(target.flips.length > listed.length
        ? [`- and ${target.flips.length - listed.length} more, in report.json`]
        : []),
      '',
      '</details>',
      '',
    );
  }
  const trendMetrics = (Object.keys(target.trends) as MetricName[]).filter(
    (name) => (target.trends[name] ?? []).filter((value) => value !== null).length >= 2,
  );
  if (detail === 'full' && trendMetrics.length > 0) {
    lines.push(
      `<details><summary>Trends: the baseline's runs, then this run, each the value its row compares</summary>`,
      '',
    );
    for (const name of trendMetrics) lines.push(...trendChart(name, target.trends[name] ?? []), '');
    lines.push('</details>', '');
  }
  if (evidence.length > 0) {
    lines.push(`<details><summary>Evidence (${evidence.length})</summary>`, '');
    for (const verdict of evidence)
      lines.push(
        `- **${METRICS[verdict.metric].label}** — ${STATUS_TEXT[verdict.status]}: ${inlineText(verdict.reason)}`,
      );
    lines.push('', '</details>', '');
  }
  if (measurement.coldStart?.errorClass) {
    lines.push(
      `The cold call (${code(measurement.coldStart.scenario)}) failed: ${measurement.coldStart.errorClass}.`,
      '',
    );
  }
  if (target.retries && target.retries.retried > 0) {
    const classes = Object.entries(target.retries.byClass)
      .map(([errorClass, count]) => `${errorClass} ×${count}`)
      .join(', ');
    lines.push(
      `Retried: ${plural(target.retries.retried, 'transient failure')} (${classes}), each counted in the error rate${target.retries.exhausted ? `; the run's budget of ${target.retries.budget} retries ran out, later failures stand` : ''}.`,
      '',
    );
  }
  if (detail !== 'minimal' && target.serverTimings) {
    const { source, calls, promptMsP50, decodeMsP50, coldLoadMs } = target.serverTimings;
    const parts = [
      promptMsP50 !== null ? `prompt p50 ${promptMsP50} ms` : null,
      decodeMsP50 !== null ? `decode p50 ${decodeMsP50} ms` : null,
    ].filter(Boolean);
    lines.push(
      `Server-reported (${source}, ${calls} calls): ${parts.join(', ') || 'no timings'}${coldLoadMs !== null ? `; model load on the cold call ${coldLoadMs} ms` : ''}.`,
      '',
    );
  }
  if (detail !== 'minimal' && target.cost) lines.push(`Cost: ${costText(target.cost)}.`, '');
  if (detail !== 'minimal' && target.coldStart) {
    const how = {
      unloaded: 'measured after unloading the model',
      'reset-command': 'measured after the cold-start command',
      'first-call': 'a first-call figure',
    }[target.coldStart.method];
    lines.push(`Cold start: ${how} (${inlineText(target.coldStart.detail)}).`, '');
  }
  const categoryNames = Object.keys(measurement.categories);
  if (detail === 'full' && categoryNames.length > 1) {
    const columns: MetricName[] = [
      ...qualityMetrics(measurement.metrics).slice(0, 4),
      'jsonValidRatePct',
      'errorRatePct',
    ];
    lines.push(
      '<details><summary>Per category</summary>',
      '',
      `| Category | ${columns.map((name) => METRICS[name].label).join(' | ')} | Warm p50 |`,
      `| --- | ${columns.map(() => '---:').join(' | ')} | ---: |`,
    );
    for (const category of categoryNames) {
      const metrics = defined(measurement.categories[category], `category ${category}`);
      const cell = (name: MetricName) =>
        metrics[name].n === 0
          ? '—'
          : metrics[name].count !== undefined
            ? `${formatMetric(name, metrics[name])} (${basis(name, metrics[name])})`
            : formatMetric(name, metrics[name]);
      lines.push(
        `| ${code(category)} | ${columns.map(cell).join(' | ')} | ${formatMetric('warmLatencyP50Ms', metrics.warmLatencyP50Ms)} |`,
      );
    }
    lines.push('', '</details>', '');
  }
  if (detail === 'full' && target.notableSamples.length > 0) {
    lines.push(
      `<details><summary>Calls worth a look (${target.notableSamples.length})</summary>`,
      '',
      '| Scenario | Run | Problem | Answer (start) |',
      '| --- | ---: | --- | --- |',
    );
    for (const sample of target.notableSamples) {
      const detail =
        sample.problem === 'error'
          ? `${sample.errorClass}: ${inlineUntrusted(sample.errorMessage ?? '', 120)}`
          : inlineUntrusted(sample.excerpt, 160);
      lines.push(`| ${code(sample.scenario)} | ${sample.run} | ${sample.problem} | ${detail} |`);
    }
    lines.push('', '</details>', '');
  }
  return lines;
}

function costText(cost: NonNullable<TargetReport['cost']>): string {
  const fixed =
    cost.monthlyFixed !== null ? `, ${formatMoney(cost.monthlyFixed, cost.currency)} a month for the GPU` : '';
  return `${formatMoney(cost.per1000, cost.currency)} per 1,000 scenarios${fixed} (${inlineText(cost.detail)})`;
}

function comparisonSection(comparison: Report['comparisons'][number], report: Report, detail: Detail): string[] {
  const a = code(comparison.target);
  const b = code(comparison.reference);
  const lines = [`### A versus B: ${a} against ${b}`, ''];
  const agreement =
    comparison.agreementPct === null
      ? 'no answer pairs to compare'
      : `${comparison.pairs} answer pairs, agreeing on ${comparison.agreementPct} % (both pass or both fail)`;
  lines.push(`Run interleaved on the same ${comparison.scenarios.length} scenarios: ${agreement}.`);
  if (comparison.similarity) {
    lines.push(
      comparison.similarity.error
        ? `Semantic similarity: ${inlineText(comparison.similarity.error)}.`
        : `Semantic similarity of the answers (embeddings from ${code(comparison.similarity.model)}): mean cosine ${comparison.similarity.mean ?? '—'} over ${comparison.similarity.pairs} pairs.`,
    );
  }
  lines.push(
    '',
    `| Metric | ${a} | ${b} | Difference | 95 % CI, paired over scenarios |`,
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const metric of comparison.metrics) {
    const unit = metric.unit === 'points' ? ' pts' : ' %';
    const value = (number: number | null) => formatMetric(metric.metric, { value: number, n: 1 });
    const interval = metric.interval
      ? `${signed(metric.interval[0])}…${signed(metric.interval[1])}${unit} (${metric.scenarios} scenarios)`
      : `— (${plural(metric.scenarios, 'scenario')})`;
    lines.push(
      `| ${METRICS[metric.metric].label} | ${value(metric.target)} | ${value(metric.reference)} | ${metric.difference === null ? '—' : `${signed(metric.difference)}${unit}`} | ${interval} |`,
    );
  }
  lines.push('');
  const costs = [comparison.target, comparison.reference]
    .map((name) => report.targets.find((target) => target.name === name))
    .flatMap((target) => (target?.cost ? [{ name: target.name, cost: target.cost }] : []));
  if (costs.length > 0)
    lines.push(`Cost: ${costs.map((target) => `${code(target.name)} ${costText(target.cost)}`).join('; ')}.`, '');
  if (comparison.breakEven) lines.push(`Break-even: ${inlineText(comparison.breakEven.reason)}.`, '');
  if (detail === 'full') {
    lines.push(
      '<details><summary>Per scenario</summary>',
      '',
      `| Scenario | Agreement | ${a} passes | ${b} passes |${comparison.similarity ? ' Similarity |' : ''}`,
      `| --- | ---: | ---: | ---: |${comparison.similarity ? ' ---: |' : ''}`,
    );
    const pct = (value: number | null) => (value === null ? '—' : `${value} %`);
    for (const entry of comparison.scenarios) {
      lines.push(
        `| ${code(entry.scenario)} | ${pct(entry.agreementPct)} | ${pct(entry.targetPassPct)} | ${pct(entry.referencePassPct)} |${comparison.similarity ? ` ${entry.similarity ?? '—'} |` : ''}`,
      );
    }
    lines.push('', '</details>', '');
  }
  return lines;
}

/** A long list of flipped scenarios is in report.json; the summary names the first ones. */
const MAX_FLIPS_LISTED = 40;

/** The size a suite ran at and how many of its scenarios were generated (absent from older reports). */
/** Whether latency includes queueing: how many calls were in flight while it was timed. */
const latencyConcurrencyText = (calls: number) =>
  `latency timed with ${calls === 1 ? 'one call' : `${calls} calls`} in flight`;

function sizeLabel(size: SuiteSizeReport | undefined): string {
  if (!size) return '';
  return ` · size ${size.preset}${size.generated > 0 ? `, ${size.generated} generated` : ''}`;
}

export function summaryMarkdown(report: Report, detail: Detail = 'full'): string {
  const lines = [
    `## model-gate: ${VERDICT_ICON[report.verdict]} ${report.verdict}`,
    '',
    inlineText(report.verdictReason),
    '',
  ];
  if (report.suite && report.settings) {
    lines.push(
      `Suite ${code(report.suite.id)} v${report.suite.version}${sizeLabel(report.suite.size)} · fingerprint ${code(report.suite.fingerprint.replace(/^sha256:/, '').slice(0, 12))} · ${report.shard?.index ? `shard ${report.shard.index} of ${report.shard.count}: ${report.shard.scenarios.length} of ${report.suite.scenarios}` : report.suite.scenarios} scenarios × ${plural(report.settings.warmRuns, 'warm run')} + 1 cold call${report.shard && report.shard.index === null ? ` each, merged from ${report.shard.count} shards` : ''} · concurrency ${report.settings.concurrency}, ${latencyConcurrencyText(report.settings.latencyConcurrency ?? report.settings.concurrency)} · status ${report.status}`,
      '',
    );
    if (report.suite.size?.preset === 'smoke' && report.suite.size.generates)
      lines.push(
        `ℹ️ Size smoke: a quick check with too few distinct scenarios to see quality changes; it gates latency only. Run suite-size standard to gate quality.`,
        '',
      );
  }
  if (report.error && report.error.message !== report.verdictReason)
    lines.push(`⚠️ ${inlineText(report.error.message)}`, '');
  for (const comparison of report.comparisons) lines.push(...comparisonSection(comparison, report, detail));
  for (const target of report.targets) lines.push(...targetSection(target, report, detail));
  if (report.thresholdChecks.length > 0) {
    lines.push('### Thresholds', '', '| Target | Threshold | Value | Result |', '| --- | --- | ---: | --- |');
    for (const check of report.thresholdChecks) {
      lines.push(
        `| ${code(check.target)} | ${check.threshold} ${check.limit} | ${check.value ?? '—'} | ${check.passed ? '✅ met' : '❌ not met'} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** One line for logs and the `summary` output. */
export function summaryLine(report: Report): string {
  const parts = report.targets.map((target) => {
    const metrics = target.measurement?.metrics;
    if (!target.preflight.ok || !metrics) return `${target.name}: not measured`;
    const shortLabel = (name: MetricName) => METRICS[name].shortLabel;
    const quality = qualityMetrics(metrics)
      .slice(0, 2)
      .map((name) => `${shortLabel(name)} ${formatMetric(name, metrics[name])}`);
    return `${target.name}: ${quality.length ? `${quality.join(', ')}, ` : ''}JSON valid ${formatMetric('jsonValidRatePct', metrics.jsonValidRatePct)}, errors ${formatMetric('errorRatePct', metrics.errorRatePct)}, warm p95 ${formatMetric('warmLatencyP95Ms', metrics.warmLatencyP95Ms)}`;
  });
  return `${report.verdict}: ${report.verdictReason}${parts.length ? ` — ${parts.join('; ')}` : ''}`;
}
