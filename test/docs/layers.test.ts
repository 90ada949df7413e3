/**
 * The layers of src/ (README, Architecture) are enforced by ESLint's no-restricted-imports, configured
 * per layer in eslint.config.js: a module imports its own and lower layers, never a higher one. These
 * tests lint small snippets under the configuration ESLint resolves for a path in each layer, so that
 * a rule weakened, dropped or overridden there fails here. Only that rule runs (no type information),
 * so no probe file is written.
 */
import { expect } from 'chai';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ORDER = 'generated → domain → config → log → schemas → store → rules → audit → rulesets → auth → referrals → http → web → cli → tools → app → service → main';
const LAYERS = ORDER.split(' → ');
const FILE_LAYERS = new Set(['config', 'app', 'service', 'main']);

const project = new ESLint({ cwd: process.cwd() });
const pathIn = (layer: string) => (FILE_LAYERS.has(layer) ? `src/${layer}.ts` : `src/${layer}/probe.ts`);

/** The no-restricted-imports findings for `code` at `filePath`, under the project's resolved configuration for that path. */
async function restrictedImports(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  const resolved = (await project.calculateConfigForFile(filePath)) as Linter.Config;
  const rule = resolved.rules?.['no-restricted-imports'];
  expect(rule, `no-restricted-imports is not configured for ${filePath}`).to.not.equal(undefined);
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfigFile: true,
    overrideConfig: { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: { 'no-restricted-imports': rule as Linter.RuleEntry } },
  });
  const [result] = await eslint.lintText(code, { filePath });
  expect(result?.messages.filter((m) => m.ruleId !== 'no-restricted-imports'), 'the snippet parses').to.deep.equal([]);
  return result?.messages ?? [];
}

describe('the layers of src/, enforced by ESLint', () => {
  it('refuses a domain module importing the http layer, naming the layer order', async () => {
    const found = await restrictedImports('src/domain/probe.ts', "import { ERROR_STATUS } from '../http/error-status.js';\nexport const statuses = ERROR_STATUS;\n");
    expect(found).to.have.length(1);
    expect(found[0]?.severity).to.equal(2);
    expect(found[0]?.message).to.contain('src/domain may not import src/http/').and.contain(ORDER);
  });

  it('refuses a store module importing the rules layer, a type import included', async () => {
    const found = await restrictedImports(
      'src/store/probe.ts',
      "import { RuleSetRegistry } from '../rules/rule-set-registry.js';\nimport type { LoadedVersion } from '../rules/rule-set-loader.js';\nexport const x: LoadedVersion[] = [];\nexport const y = RuleSetRegistry;\n",
    );
    expect(found.map((m) => [m.line, m.ruleId])).to.deep.equal([
      [1, 'no-restricted-imports'],
      [2, 'no-restricted-imports'],
    ]);
  });

  it('treats config.ts, app.ts, service.ts and main.ts as layers of their own', async () => {
    expect(await restrictedImports('src/config.ts', "import { oidcVerifier } from './auth/oidc.js';\nexport const v = oidcVerifier;\n")).to.have.length(1);
    expect(await restrictedImports('src/domain/probe.ts', "import { loadConfig } from '../config.js';\nexport const c = loadConfig;\n")).to.have.length(1);
    expect(await restrictedImports('src/cli/probe.ts', "import { createApp } from '../app.js';\nexport const a = createApp;\n")).to.have.length(1);
    expect(await restrictedImports('src/app.ts', "import { startService } from './service.js';\nexport const s = startService;\n")).to.have.length(1);
    expect(await restrictedImports('src/service.ts', "import { main } from './main.js';\nexport const m = main;\n")).to.have.length(1);
  });

  it('allows a module its own layer and every lower one', async () => {
    expect(
      await restrictedImports(
        'src/domain/probe.ts',
        "import type { Decision } from '../generated/decision.js';\nimport { routeText } from './route-order.js';\nexport const text = (d: Decision) => routeText(d);\n",
      ),
    ).to.deep.equal([]);
    expect(
      await restrictedImports(
        'src/store/probe.ts',
        "import { ApiError } from '../domain/error-catalogue.js';\nimport { loadConfig } from '../config.js';\nimport type { Logger } from '../log/logger.js';\nimport { validateReferral } from '../schemas/schema-registry.js';\nimport { ping } from './database.js';\nexport const all: unknown[] = [ApiError, loadConfig, validateReferral, ping];\nexport type L = Logger;\n",
      ),
    ).to.deep.equal([]);
    // cli/main.ts is the cli layer's own module, not src/main.ts
    expect(await restrictedImports('src/cli/probe.ts', "import { main } from './main.js';\nimport { httpServer } from '../http/server.js';\nexport const m = [main, httpServer];\n")).to.deep.equal([]);
    expect(await restrictedImports('src/app.ts', "import { httpServer } from './http/server.js';\nimport { loadConfig } from './config.js';\nexport const x = [httpServer, loadConfig];\n")).to.deep.equal([]);
  });

  it('configures every layer to refuse exactly the layers above it', async () => {
    for (const [index, layer] of LAYERS.entries()) {
      if (layer === 'generated' || layer === 'main') continue; // generated is not linted (never edited by hand); nothing is above main
      const resolved = (await project.calculateConfigForFile(pathIn(layer))) as Linter.Config;
      const [severity, options] = resolved.rules?.['no-restricted-imports'] as [number, { patterns: Array<{ message: string }> }];
      expect(severity, layer).to.equal(2);
      const refused = options.patterns.map((p) => /may not import src\/([a-z]+)/.exec(p.message)?.[1]);
      expect(refused, layer).to.deep.equal(LAYERS.slice(index + 1));
    }
  });
});
