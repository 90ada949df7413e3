import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('starts on port 3000 on loopback with the msk-triage rule set by default', () => {
    expect(loadConfig({})).to.deep.include({ port: 3000, host: '127.0.0.1', rulesetId: 'msk-triage', rulesDir: 'rules', rulesetVersion: undefined, bodyLimitBytes: 65536 });
  });

  it('reads PORT, HOST and the pinned version from the environment', () => {
    expect(loadConfig({ PORT: '8080', HOST: '0.0.0.0', RULESET_VERSION: '1.0.0' })).to.deep.include({ port: 8080, host: '0.0.0.0', rulesetVersion: '1.0.0' });
  });

  it('names the setting to fix when a value is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).to.throw(ConfigError, /LOG_LEVEL/);
    expect(() => loadConfig({ RULESET_VERSION: 'latest' })).to.throw(ConfigError, /RULESET_VERSION/);
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '10' })).to.throw(ConfigError, /BODY_LIMIT_BYTES/);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).to.equal(true);
  });
});
