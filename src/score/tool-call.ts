// Scores a routing answer: the tool a model called (natively, through OpenAI's tools, or in the JSON
// fallback {"tool": ..., "arguments": {...}}), its arguments, and the keywords it carried.
import type { Expectation, ToolCall } from '../suite/schema.js';
import { compactKey, foldText, isRecord, parseJsonAnswer } from './text.js';

export interface RoutedCall {
  tool: string | null;
  arguments: Record<string, unknown>;
  /** The arguments (or the fallback answer) were JSON. */
  jsonValid: boolean;
  value: unknown;
}

export interface ToolCallScores {
  toolAccuracy: number;
  argumentMatch?: number;
  keywordMatch?: number;
}

/** The call a model made: its first native tool call, else the JSON fallback answer. */
export function routedCall(text: string, toolCalls: readonly ToolCall[] | null): RoutedCall {
  const native = toolCalls?.[0];
  if (native) {
    const parsed = parseJsonAnswer(native.arguments || '{}');
    return {
      tool: native.name,
      arguments: parsed.ok && isRecord(parsed.value) ? parsed.value : {},
      jsonValid: parsed.ok,
      value: parsed.ok ? parsed.value : null,
    };
  }
  const parsed = parseJsonAnswer(text);
  if (!parsed.ok || !isRecord(parsed.value))
    return { tool: null, arguments: {}, jsonValid: parsed.ok, value: parsed.ok ? parsed.value : null };
  const tool = parsed.value.tool ?? parsed.value.name;
  const args = parsed.value.arguments ?? parsed.value.parameters;
  return {
    tool: typeof tool === 'string' ? tool : null,
    arguments: isRecord(args) ? args : {},
    jsonValid: true,
    value: parsed.value,
  };
}

const argumentMatches = (expected: string | number | boolean, actual: unknown) =>
  typeof expected === 'string'
    ? (typeof actual === 'string' || typeof actual === 'number') && compactKey(String(actual)) === compactKey(expected)
    : actual === expected || (typeof actual === 'string' && actual === String(expected));

export function scoreToolCall(call: RoutedCall, text: string, expect: Expectation): ToolCallScores {
  const scores: ToolCallScores = {
    toolAccuracy: call.tool !== null && compactKey(call.tool) === compactKey(expect.tool ?? '') ? 1 : 0,
  };
  const expectedArguments = Object.entries(expect.arguments ?? {});
  if (expectedArguments.length > 0) {
    scores.argumentMatch =
      expectedArguments.filter(([name, value]) => argumentMatches(value, call.arguments[name])).length /
      expectedArguments.length;
  }
  const keywords = expect.keywords ?? [];
  if (keywords.length > 0) {
    const haystack = foldText([call.tool ?? '', JSON.stringify(call.arguments), text].join(' '));
    scores.keywordMatch = keywords.filter((keyword) => haystack.includes(foldText(keyword))).length / keywords.length;
  }
  return scores;
}
