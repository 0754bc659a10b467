import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', '.venv/', '.stack/', '.cache/', 'out/', 'dist/', '**/*.py', '.stack-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['bin/*', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // The dashboard page's script runs in the browser, beside vega-embed's global.
    files: ['lib/dashboard/page/*.js'],
    languageOptions: { globals: { ...globals.browser, vegaEmbed: 'readonly' } },
  },
);
