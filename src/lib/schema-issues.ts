// A schema problem in a file a user writes or commits (config, suite, baseline) as words: zod's
// default messages ("Invalid input: expected string, received undefined") name neither the field
// nor what to write there.
import type { z } from 'zod';

/** Plain words for the types zod expects. */
const EXPECTED_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** A field's path as every file message spells it: "targets[0].base-url", "" at the top level. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

const issuePath = (path: readonly PropertyKey[]) => fieldPath(path) || '(top level)';

/** The field was left out: the parse saw no input there. */
const isMissing = (issue: z.core.$ZodIssue): issue is z.core.$ZodIssueInvalidType =>
  issue.code === 'invalid_type' && issue.input === undefined && issue.message.startsWith('Invalid input');

/** What is wrong at the issue's path, without the path. */
export function issueProblem(issue: z.core.$ZodIssue): string {
  if (isMissing(issue)) return `missing; add it, with ${EXPECTED_WORDS[issue.expected] ?? issue.expected}`;
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  return issue.message;
}

/** The issue as one clause: "description is missing; add it, with text", or "runs: Too small: …". */
export function issueSentence(issue: z.core.$ZodIssue): string {
  const path = issuePath(issue.path);
  return isMissing(issue) ? `${path} is ${issueProblem(issue)}` : `${path}: ${issueProblem(issue)}`;
}
