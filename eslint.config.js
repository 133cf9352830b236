// Lint: typescript-eslint's strict, type-checked rules over the sources, tests, benches and scripts.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'model-gate-report/',
      '**/*.mjs',
      '**/*.cjs',
      'eslint.config.js',
      'jest.config.js',
      '.dependency-cruiser.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Numbers and booleans print as one expects in messages; objects and nullables stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(x) => resolve(x)` is the idiom for callbacks; braces around it say nothing more.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Numeric code indexes arrays inside their bounds; under noUncheckedIndexedAccess each read needs `!`.
    files: ['src/lib/statistics.ts', 'src/compare/cost.ts', 'src/shard/slice.ts', 'src/render/text.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // A test asserts on what it just built; a non-null assertion there is the assertion.
    files: ['__tests__/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
