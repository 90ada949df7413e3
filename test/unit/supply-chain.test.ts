/**
 * The supply chain, checked against the lockfile that `npm ci` installs: every package with a past
 * critical advisory (reliability.md §2) is at or above its fixed version, in every copy the tree
 * holds; the floors are enforced with npm `overrides`; and install scripts run only where allowed.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import semver from 'semver';

interface LockPackage {
  version?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  hasInstallScript?: boolean;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { overrides?: Record<string, string>; allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { lockfileVersion: number; packages: Record<string, LockPackage> };

/** The fixed version of each advisory, per major line still in use (reliability.md §2). */
export const FLOORS: Readonly<Record<string, Readonly<Record<number, { fixed: string; why: string }>>>> = {
  'jsonpath-plus': { 10: { fixed: '10.4.0', why: 'CVE-2024-21534 and CVE-2025-1302 (RCE); 10.4.0 also fixes RCE via lookupGetter' } },
  'path-to-regexp': { 8: { fixed: '8.4.0', why: 'CVE-2026-4926, CVE-2026-4923 (ReDoS)' } },
  qs: { 6: { fixed: '6.14.1', why: 'CVE-2025-15284' } },
  'body-parser': { 2: { fixed: '2.2.0', why: 'CVE-2024-45590 (fixed from 1.20.3; every 2.x is later)' } },
  ajv: { 6: { fixed: '6.12.3', why: 'CVE-2020-15366' }, 8: { fixed: '8.18.0', why: 'CVE-2025-69873 (ReDoS with $data)' } },
  express: { 5: { fixed: '5.0.0', why: 'Express 4 CVE-2024-43796, CVE-2024-29041 and its dependencies’ advisories' } },
};
/** Packages whose overrides the floors need (ajv has two major lines in the tree, so its floor is the direct dependency's range). */
const OVERRIDDEN = ['jsonpath-plus', 'path-to-regexp', 'qs', 'body-parser'];

/** Why this copy of the package is not safe, or undefined when it is at or above its fixed version. */
function unsafe(name: string, version: string): string | undefined {
  const floor = FLOORS[name]?.[semver.major(version)];
  if (!floor) return `${version}: a major line with no known fixed version`;
  return semver.gte(version, floor.fixed) ? undefined : `${version} < ${floor.fixed}: ${floor.why}`;
}

const copies = (name: string) =>
  Object.entries(lock.packages)
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, entry]) => ({ path, version: entry.version as string }));

describe('supply chain (package-lock.json)', () => {
  it('is a lockfile npm ci can install exactly: version 3, every package pinned with an integrity hash', () => {
    expect(lock.lockfileVersion).to.equal(3);
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.link) continue;
      expect(entry.version, path).to.be.a('string');
      expect(entry.integrity, path).to.match(/^sha512-/);
    }
  });

  for (const name of Object.keys(FLOORS)) {
    it(`holds ${name} only at or above its fixed version in every copy`, () => {
      const found = copies(name);
      expect(found, `${name} is in the tree`).to.not.be.empty;
      for (const { path, version } of found) expect(unsafe(name, version), path).to.equal(undefined);
    });
  }

  it('enforces the floors with npm overrides, so that no later install can bring an older copy back', () => {
    for (const name of OVERRIDDEN) {
      const range = pkg.overrides?.[name];
      expect(range, `overrides.${name}`).to.be.a('string');
      const lowest = semver.minVersion(range as string);
      const floor = Object.values(FLOORS[name] ?? {})[0]?.fixed as string;
      expect(lowest && semver.gte(lowest, floor), `overrides.${name} ${range} allows versions below ${floor}`).to.equal(true);
    }
  });

  it('would catch an old copy: the check refuses jsonpath-plus 10.2.0, ajv 8.17.1 and an Express 4', () => {
    expect(unsafe('jsonpath-plus', '10.2.0')).to.match(/^10\.2\.0 < 10\.4\.0: CVE-2024-21534/);
    expect(unsafe('ajv', '8.17.1')).to.match(/^8\.17\.1 < 8\.18\.0/);
    expect(unsafe('express', '4.22.3')).to.match(/no known fixed version/);
    expect(unsafe('jsonpath-plus', '10.4.0')).to.equal(undefined);
  });

  it('runs install scripts only for the packages allowed to, and allows none that is not in the tree', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.split('node_modules/').at(-1) as string);
    const allowed = pkg.allowScripts ?? {};
    for (const name of withScripts) expect(allowed, `${name} has an install script: allow or deny it in allowScripts`).to.have.property(name);
    for (const name of Object.keys(allowed)) expect(withScripts, `allowScripts names ${name}, which has no install script`).to.include(name);
  });
});
