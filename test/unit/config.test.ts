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

  describe('rate limits and proxies', () => {
    it('allows 3000 requests per address and 600 per caller a minute, and trusts no proxy, by default', () => {
      expect(loadConfig({})).to.deep.include({ rateLimitPerAddress: 3000, rateLimitPerCaller: 600, rateLimitWindowMs: 60_000, trustProxyHops: 0 });
    });

    it('reads RATE_LIMIT_PER_ADDRESS, RATE_LIMIT_PER_CALLER, RATE_LIMIT_WINDOW_MS and TRUST_PROXY_HOPS', () => {
      expect(loadConfig({ RATE_LIMIT_PER_ADDRESS: '1000000', RATE_LIMIT_PER_CALLER: '1', RATE_LIMIT_WINDOW_MS: '1000', TRUST_PROXY_HOPS: '2' })).to.deep.include({
        rateLimitPerAddress: 1_000_000,
        rateLimitPerCaller: 1,
        rateLimitWindowMs: 1000,
        trustProxyHops: 2,
      });
      expect(loadConfig({ RATE_LIMIT_WINDOW_MS: '3600000', TRUST_PROXY_HOPS: '10' })).to.deep.include({ rateLimitWindowMs: 3_600_000, trustProxyHops: 10 });
    });

    it('refuses a limit of nothing, or beyond its range, or not a whole number, naming the setting', () => {
      const wrong: Array<[string, string]> = [
        ['RATE_LIMIT_PER_ADDRESS', '0'],
        ['RATE_LIMIT_PER_ADDRESS', '1000001'],
        ['RATE_LIMIT_PER_ADDRESS', 'unlimited'],
        ['RATE_LIMIT_PER_CALLER', '0'],
        ['RATE_LIMIT_PER_CALLER', '1.5'],
        ['RATE_LIMIT_WINDOW_MS', '999'],
        ['RATE_LIMIT_WINDOW_MS', '3600001'],
        ['TRUST_PROXY_HOPS', '-1'],
        ['TRUST_PROXY_HOPS', '11'],
        ['TRUST_PROXY_HOPS', 'true'],
      ];
      for (const [key, value] of wrong) expect(() => loadConfig({ [key]: value }), `${key}=${value}`).to.throw(ConfigError, new RegExp(`^${key} must be a whole number`));
    });
  });

  describe('OpenID Connect', () => {
    const OIDC = { OIDC_ISSUER: 'https://idp.example.org', OIDC_AUDIENCE: 'msk-triage', OIDC_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json' };

    it('is off unless an OIDC_ setting is given', () => {
      expect(loadConfig({}).oidc).to.equal(undefined);
      expect(loadConfig({ OIDC_ISSUER: '', OIDC_JWKS_URL: '' }).oidc).to.equal(undefined);
    });

    it('reads the issuer, audience and keys, with safe defaults for the rest, frozen', () => {
      const { oidc } = loadConfig(OIDC);
      expect(oidc).to.deep.equal({
        issuer: 'https://idp.example.org',
        audience: 'msk-triage',
        jwksUrl: 'https://idp.example.org/.well-known/jwks.json',
        algorithms: ['RS256', 'ES256'],
        roleClaim: 'role',
        practiceClaim: 'practice',
        nameClaim: 'name',
        roleMap: {},
        claimsProfile: 'plain',
        clockToleranceSeconds: 30,
      });
      expect(Object.isFrozen(oidc)).to.equal(true);
    });

    it('reads the claims, the clock tolerance and the algorithms', () => {
      const { oidc } = loadConfig({
        ...OIDC,
        OIDC_ROLE_CLAIM: 'realm_access.roles',
        OIDC_PRACTICE_CLAIM: 'org:ods',
        OIDC_NAME_CLAIM: 'preferred_name',
        OIDC_CLOCK_TOLERANCE_S: '0',
        OIDC_ALGORITHMS: 'PS256, EdDSA',
      });
      expect(oidc).to.deep.include({ roleClaim: 'realm_access.roles', practiceClaim: 'org:ods', nameClaim: 'preferred_name', clockToleranceSeconds: 0, algorithms: ['PS256', 'EdDSA'] });
      expect(() => loadConfig({ ...OIDC, OIDC_ROLE_CLAIM: 'realm_access..roles' })).to.throw(ConfigError, /^OIDC_ROLE_CLAIM must be a claim name/);
      expect(() => loadConfig({ ...OIDC, OIDC_PRACTICE_CLAIM: '$.practice' })).to.throw(ConfigError, /^OIDC_PRACTICE_CLAIM/);
      expect(() => loadConfig({ ...OIDC, OIDC_CLOCK_TOLERANCE_S: '301' })).to.throw(ConfigError, /^OIDC_CLOCK_TOLERANCE_S/);
    });

    it('reads the claims profile: plain by default; cis2 with a role map, and without the claims it would not read', () => {
      expect(loadConfig({ ...OIDC, OIDC_CLAIMS_PROFILE: 'cis2', OIDC_ROLE_MAP: 'R8010=gp' }).oidc).to.deep.include({ claimsProfile: 'cis2', roleMap: { R8010: 'gp' } });
      expect(() => loadConfig({ ...OIDC, OIDC_CLAIMS_PROFILE: 'CIS2' })).to.throw(ConfigError, /^OIDC_CLAIMS_PROFILE must be one of: plain, cis2/);
      expect(() => loadConfig({ ...OIDC, OIDC_CLAIMS_PROFILE: 'cis2' })).to.throw(ConfigError, /^OIDC_CLAIMS_PROFILE=cis2 needs OIDC_ROLE_MAP/);
      expect(() => loadConfig({ ...OIDC, OIDC_CLAIMS_PROFILE: 'cis2', OIDC_ROLE_MAP: 'R8010=gp', OIDC_PRACTICE_CLAIM: 'ods' })).to.throw(ConfigError, /^OIDC_PRACTICE_CLAIM is not used with OIDC_CLAIMS_PROFILE=cis2/);
      expect(() => loadConfig({ ...OIDC, OIDC_CLAIMS_PROFILE: 'cis2', OIDC_ROLE_MAP: 'R8010=gp', OIDC_ROLE_CLAIM: 'r', OIDC_PRACTICE_CLAIM: 'ods' })).to.throw(ConfigError, /^OIDC_ROLE_CLAIM and OIDC_PRACTICE_CLAIM are not used/);
    });

    it('needs both the issuer and the audience once any OIDC_ setting is given', () => {
      expect(() => loadConfig({ OIDC_ROLE_MAP: 'R8010=gp' })).to.throw(ConfigError, /OIDC_ISSUER and OIDC_AUDIENCE/);
      expect(() => loadConfig({ ...OIDC, OIDC_ISSUER: '' })).to.throw(ConfigError, /OIDC_ISSUER and OIDC_AUDIENCE/);
      expect(() => loadConfig({ ...OIDC, OIDC_AUDIENCE: undefined })).to.throw(ConfigError, /OIDC_ISSUER and OIDC_AUDIENCE/);
    });

    it('refuses a shared-secret algorithm, or none: only asymmetric signatures are accepted', () => {
      for (const algorithms of ['HS256', 'none', 'RS256,HS256', 'ES256, none', 'HS384', 'HS512', 'rs256']) {
        expect(() => loadConfig({ ...OIDC, OIDC_ALGORITHMS: algorithms }), algorithms).to.throw(ConfigError, /^OIDC_ALGORITHMS may list only RS256, /);
      }
      expect(() => loadConfig({ ...OIDC, OIDC_ALGORITHMS: 'RS256,HS256' })).to.throw(ConfigError, /\(not HS256\)$/);
      expect(() => loadConfig({ ...OIDC, OIDC_ALGORITHMS: 'none' })).to.throw(ConfigError, /\(not none\)$/);
      expect(loadConfig({ ...OIDC, OIDC_ALGORITHMS: '' }).oidc?.algorithms, 'empty is the default').to.deep.equal(['RS256', 'ES256']);
    });

    it('takes the keys from exactly one of OIDC_JWKS_URL and OIDC_JWKS_FILE', () => {
      const { OIDC_JWKS_URL: _url, ...withoutKeys } = OIDC;
      expect(() => loadConfig(withoutKeys)).to.throw(ConfigError, /exactly one of OIDC_JWKS_URL and OIDC_JWKS_FILE/);
      expect(() => loadConfig({ ...OIDC, OIDC_JWKS_FILE: '/etc/msk-triage/jwks.json' })).to.throw(ConfigError, /exactly one of OIDC_JWKS_URL and OIDC_JWKS_FILE/);
      const { oidc } = loadConfig({ ...withoutKeys, OIDC_JWKS_FILE: '/etc/msk-triage/jwks.json' });
      expect(oidc).to.deep.include({ jwksFile: '/etc/msk-triage/jwks.json' });
      expect(oidc).to.not.have.property('jwksUrl');
      expect(loadConfig(OIDC).oidc).to.not.have.property('jwksFile');
    });

    it('fetches keys over https, or over http only from this machine', () => {
      for (const url of ['http://127.0.0.1:8080/jwks.json', 'http://localhost/jwks.json', 'http://[::1]:9000/jwks.json', 'https://idp.example.org:8443/keys']) {
        expect(loadConfig({ ...OIDC, OIDC_JWKS_URL: url }).oidc?.jwksUrl, url).to.equal(url);
      }
      for (const url of ['http://idp.example.org/jwks.json', 'http://127.0.0.1.example.org/jwks.json', 'http://localhost@idp.example.org/jwks.json', 'http://10.0.0.1/jwks.json', 'ftp://localhost/jwks.json', 'file:///etc/jwks.json']) {
        expect(() => loadConfig({ ...OIDC, OIDC_JWKS_URL: url }), url).to.throw(ConfigError, /^OIDC_JWKS_URL must be https:\/\//);
      }
      expect(() => loadConfig({ ...OIDC, OIDC_JWKS_URL: 'idp.example.org/jwks.json' })).to.throw(ConfigError, /^OIDC_JWKS_URL must be a URL/);
    });

    it("maps the identity provider's role values to the service's roles", () => {
      expect(loadConfig({ ...OIDC, OIDC_ROLE_MAP: 'R8000=clinical-lead, R8013 = triage-clinician,R8010=gp,' }).oidc?.roleMap).to.deep.equal({
        R8000: 'clinical-lead',
        R8013: 'triage-clinician',
        R8010: 'gp',
      });
      for (const map of ['R8000=admin', 'R8000', '=gp', 'R8000=gp,R8001', 'R8000=Clinical-Lead', 'R8000:gp']) {
        expect(() => loadConfig({ ...OIDC, OIDC_ROLE_MAP: map }), map).to.throw(ConfigError, /^OIDC_ROLE_MAP must be pairs such as/);
      }
      // A typo must not quietly give someone another role.
      expect(() => loadConfig({ ...OIDC, OIDC_ROLE_MAP: 'R1=gp=clinical-lead' })).to.throw(ConfigError, /^OIDC_ROLE_MAP must be pairs such as/);
      expect(() => loadConfig({ ...OIDC, OIDC_ROLE_MAP: 'R1=gp,R1=clinical-lead' })).to.throw(ConfigError, /^OIDC_ROLE_MAP maps R1 twice/);
    });
  });

  describe('sign-in on the web pages with the identity provider', () => {
    const OIDC = { OIDC_ISSUER: 'https://idp.example.org', OIDC_AUDIENCE: 'msk-triage', OIDC_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json' };
    const SIGN_IN = { ...OIDC, OIDC_ISSUER: 'https://idp.example.org', OIDC_CLIENT_ID: 'msk-triage-web', OIDC_REDIRECT_URL: 'https://msk.example.nhs.uk/sign-in/callback' };

    it('is off without OIDC_CLIENT_ID, and on with it and OIDC_REDIRECT_URL: a public client without a secret, scopes and a name by default', () => {
      expect(loadConfig(OIDC).oidc).to.not.have.property('signIn');
      expect(loadConfig(SIGN_IN).oidc?.signIn).to.deep.equal({ clientId: 'msk-triage-web', redirectUrl: 'https://msk.example.nhs.uk/sign-in/callback', scopes: 'openid profile', providerName: "your organisation's account" });
      expect(loadConfig({ ...SIGN_IN, OIDC_CLIENT_SECRET: 's3cret', OIDC_SCOPES: ' openid  profile nationalrbacaccess ', OIDC_PROVIDER_NAME: 'NHS Care Identity' }).oidc?.signIn).to.deep.include({ clientSecret: 's3cret', scopes: 'openid profile nationalrbacaccess', providerName: 'NHS Care Identity' });
    });

    it('takes the client id as the audience when OIDC_AUDIENCE is not given', () => {
      const { OIDC_AUDIENCE: _audience, ...withoutAudience } = SIGN_IN;
      expect(loadConfig(withoutAudience).oidc?.audience).to.equal('msk-triage-web');
      expect(loadConfig(SIGN_IN).oidc?.audience).to.equal(OIDC.OIDC_AUDIENCE);
    });

    it('refuses a redirect that is not this service’s /sign-in/callback over https, a client setting without a client id, and scopes without openid', () => {
      for (const url of ['http://msk.example.nhs.uk/sign-in/callback', 'https://msk.example.nhs.uk/callback', 'https://msk.example.nhs.uk/sign-in/callback?x=1', 'sign-in/callback']) {
        expect(() => loadConfig({ ...SIGN_IN, OIDC_REDIRECT_URL: url }), url).to.throw(ConfigError, /^OIDC_REDIRECT_URL must be/);
      }
      expect(loadConfig({ ...SIGN_IN, OIDC_REDIRECT_URL: 'http://127.0.0.1:3000/sign-in/callback' }).oidc?.signIn?.redirectUrl).to.equal('http://127.0.0.1:3000/sign-in/callback');
      const { OIDC_REDIRECT_URL: _redirect, ...withoutRedirect } = SIGN_IN;
      expect(() => loadConfig(withoutRedirect)).to.throw(ConfigError, /^OIDC_REDIRECT_URL is needed with OIDC_CLIENT_ID/);
      expect(() => loadConfig({ ...OIDC, OIDC_CLIENT_SECRET: 's3cret' })).to.throw(ConfigError, /^OIDC_CLIENT_SECRET is used only with OIDC_CLIENT_ID/);
      expect(() => loadConfig({ ...SIGN_IN, OIDC_SCOPES: 'profile email' })).to.throw(ConfigError, /^OIDC_SCOPES must be/);
      expect(() => loadConfig({ ...SIGN_IN, OIDC_ISSUER: 'http://idp.example.org' })).to.throw(ConfigError, /^OIDC_ISSUER must be https:\/\//);
    });
  });

  describe('the metrics listener and the log format', () => {
    it('opens no metrics listener, and chooses the log format by the terminal, by default', () => {
      expect(loadConfig({})).to.deep.include({ metrics: undefined, logFormat: 'auto' });
    });

    it('reads METRICS_PORT, with METRICS_HOST on loopback unless set, and LOG_FORMAT', () => {
      expect(loadConfig({ METRICS_PORT: '9464' }).metrics).to.deep.equal({ host: '127.0.0.1', port: 9464 });
      expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '10.0.0.5' }).metrics).to.deep.equal({ host: '10.0.0.5', port: 0 });
      expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).to.equal('pretty');
      expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    });

    it('refuses a metrics port out of range or the service’s own, a METRICS_HOST without a port, and an unknown format, naming the setting', () => {
      expect(() => loadConfig({ METRICS_PORT: '70000' })).to.throw(ConfigError, /^METRICS_PORT must be a whole number from 0 to 65535/);
      expect(() => loadConfig({ METRICS_PORT: 'nine' })).to.throw(ConfigError, /^METRICS_PORT/);
      expect(() => loadConfig({ PORT: '3000', METRICS_PORT: '3000' })).to.throw(ConfigError, /^METRICS_PORT must differ from PORT/);
      expect(() => loadConfig({ METRICS_PORT: '9464', METRICS_HOST: 'not a host' })).to.throw(ConfigError, /^METRICS_HOST must be a host name or IP address/);
      expect(() => loadConfig({ METRICS_HOST: '10.0.0.5' })).to.throw(ConfigError, /^METRICS_HOST is used only with METRICS_PORT/);
      expect(() => loadConfig({ LOG_FORMAT: 'text' })).to.throw(ConfigError, /^LOG_FORMAT must be one of: auto, json, pretty/);
    });
  });
});
