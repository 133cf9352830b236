// A warm, successful, timed sample with every field set; a test overrides the fields it is about.
import type { Sample } from '../../src/run/sample.js';

export function sampleWith(fields: Partial<Sample>): Sample {
  return {
    target: 't',
    scenario: 's',
    category: 'c',
    anomaly: true,
    run: 1,
    phase: 'warm',
    attempt: 1,
    retried: false,
    timed: true,
    startedAt: '',
    requestId: null,
    latencyMs: 100,
    ttftMs: 10,
    outputTokens: 20,
    outputTokensSource: 'server',
    outputTokensPerSecond: 50,
    jsonValid: true,
    schemaValid: true,
    flagged: true,
    detected: true,
    matchedKeywords: [],
    scores: {},
    tool: null,
    inputTokens: null,
    finishReason: 'stop',
    interTokenMeanMs: null,
    interTokenP95Ms: null,
    serverTimings: null,
    errorClass: null,
    errorMessage: null,
    excerpt: '',
    ...fields,
  };
}
