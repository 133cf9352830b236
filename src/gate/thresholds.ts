// Absolute thresholds (floors and ceilings per metric) and the run's verdict from them.
import type { ThresholdName, Thresholds } from '../config/schema.js';
import type { MetricName, Metrics } from '../measure/metrics.js';

export const THRESHOLD_METRIC: Record<ThresholdName, { metric: MetricName; bound: 'min' | 'max' }> = {
  'min-detection-rate-pct': { metric: 'detectionRatePct', bound: 'min' },
  'max-false-positive-rate-pct': { metric: 'falsePositiveRatePct', bound: 'max' },
  'min-json-valid-rate-pct': { metric: 'jsonValidRatePct', bound: 'min' },
  'min-schema-valid-rate-pct': { metric: 'schemaValidRatePct', bound: 'min' },
  'max-error-rate-pct': { metric: 'errorRatePct', bound: 'max' },
  'max-warm-latency-p95-ms': { metric: 'warmLatencyP95Ms', bound: 'max' },
  'max-cold-start-ms': { metric: 'coldStartMs', bound: 'max' },
  'max-ttft-p95-ms': { metric: 'ttftP95Ms', bound: 'max' },
};

export interface ThresholdCheck {
  target: string;
  threshold: ThresholdName;
  metric: MetricName;
  bound: 'min' | 'max';
  limit: number;
  value: number | null;
  passed: boolean;
  reason: string;
}

export function checkThresholds(target: string, metrics: Metrics, thresholds: Thresholds): ThresholdCheck[] {
  return (Object.entries(thresholds) as [ThresholdName, number | undefined][])
    .filter((entry): entry is [ThresholdName, number] => entry[1] !== undefined)
    .map(([threshold, limit]) => {
      const { metric, bound } = THRESHOLD_METRIC[threshold];
      const value = metrics[metric].value;
      if (value === null) {
        return {
          target,
          threshold,
          metric,
          bound,
          limit,
          value,
          passed: false,
          reason: `${metric} could not be measured (no successful samples), so ${threshold} ${limit} is not met`,
        };
      }
      const passed = bound === 'min' ? value >= limit : value <= limit;
      const relation = bound === 'min' ? (passed ? '≥' : '<') : passed ? '≤' : '>';
      return {
        target,
        threshold,
        metric,
        bound,
        limit,
        value,
        passed,
        reason: `${metric} ${value} ${relation} ${limit} (${threshold})`,
      };
    });
}
