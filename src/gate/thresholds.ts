// Absolute thresholds (floors and ceilings per metric, from the metric catalog) and the run's verdict from them.
import type { Thresholds } from '../config/schema.js';
import type { Metrics } from '../measure/metrics.js';
import { THRESHOLDS, type MetricName, type ThresholdName } from '../metric-catalog.js';

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
  return THRESHOLDS.flatMap(({ name: threshold, metric, bound }): ThresholdCheck[] => {
    const limit = thresholds[threshold];
    if (limit === undefined) return [];
    const value = metrics[metric].value;
    if (value === null) {
      const reason = `${metric} could not be measured (no successful samples), so ${threshold} ${limit} is not met`;
      return [{ target, threshold, metric, bound, limit, value, passed: false, reason }];
    }
    const passed = bound === 'min' ? value >= limit : value <= limit;
    const relation = bound === 'min' ? (passed ? '≥' : '<') : passed ? '≤' : '>';
    const reason = `${metric} ${value} ${relation} ${limit} (${threshold})`;
    return [{ target, threshold, metric, bound, limit, value, passed, reason }];
  });
}
