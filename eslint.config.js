import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first: a module may import its own layer and any lower one, never a
 * higher one. A folder layer is src/<name>/; config, app, service and main are the files src/<name>.ts.
 * (src/generated/ is generated from schemas/ and imports nothing of ours.)
 */
const LAYERS = ['generated', 'domain', 'config', 'log', 'schemas', 'store', 'rules', 'audit', 'rulesets', 'auth', 'referrals', 'http', 'web', 'cli', 'tools', 'app', 'service', 'main'];
const FILE_LAYERS = new Set(['config', 'app', 'service', 'main']);
const LAYER_ORDER = LAYERS.join(' → ');

/** One no-restricted-imports block per layer: every relative import of a higher layer is an error. */
const layerRules = LAYERS.slice(0, -1).map((layer, index) => {
  const files = FILE_LAYERS.has(layer) ? [`src/${layer}.ts`] : [`src/${layer}/**`];
  // From src/<folder>/x.ts a module of another layer is ../<folder>/… or ../<file>.js; from src/<file>.ts, ./<folder>/… or ./<file>.js.
  const up = FILE_LAYERS.has(layer) ? '\\./' : '\\.\\./';
  const patterns = LAYERS.slice(index + 1).map((higher) => ({
    regex: FILE_LAYERS.has(higher) ? `^${up}${higher}(\\.[jt]s)?$` : `^${up}${higher}/`,
    message: `src/${layer} may not import src/${higher}${FILE_LAYERS.has(higher) ? '.ts' : '/'}: a layer imports only its own and lower layers (${LAYER_ORDER}).`,
  }));
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'src/tools/build.js', 'coverage/**', 'src/generated/**', 'src/cli/bin.js', 'src/rules/impact-simulation-worker.js', 'src/rules/version-check-worker.js', 'src/rules/thread-entry.js', 'src/store/embedded-server-worker.js', 'src/store/database-folder.js', 'src/web/assets/**', 'test/support/slowest-reporter.cjs', 'test/support/test-order.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      'no-console': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'src/tools/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      'no-console': 'off',
    },
  },
  ...layerRules,
  { files: ['eslint.config.js'], extends: [tseslint.configs.disableTypeChecked] },
);
