import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { VERSION } from '../src/version.js';

it('the version the tool reports is the package version', () => {
  expect(VERSION).toBe(
    (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  );
});
