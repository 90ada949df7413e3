/**
 * A real OpenID provider for the tests: panva's oidc-provider (OpenID Certified), in-process on a
 * random loopback port, with one static confidential client, its own RS256 signing key, its
 * development login and consent pages (any login, any password: the login names the account), and
 * accounts whose claims the test chooses. Its issuer is `http://localhost:<port>` while the service
 * listens on 127.0.0.1: another site, as a real provider is, so that the cookies' SameSite rules are
 * tested as they are met.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { Configuration } from 'oidc-provider';

export const CLIENT_ID = 'msk-triage-web';
export const CLIENT_SECRET = 'a-client-secret-for-the-tests-only-0123456789';

export type AccountClaims = Record<string, unknown>;

export interface TestProvider {
  issuer: string;
  /** starts answering as the provider, for a client whose one redirect URI is `redirectUri`, and whose one post-logout redirect URI is /signed-out beside it */
  serve(redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * oidc-provider prints banners to the console as it loads and starts: that it wants Node 22 (it runs
 * on our Node 20, as this test shows), and that its in-memory store and development pages are for
 * development only, which is what they are here. Kept out of the test output.
 */
async function quietly<T>(make: () => Promise<T>): Promise<T> {
  const { warn, info } = console;
  console.warn = () => undefined;
  console.info = () => undefined;
  try {
    return await make();
  } finally {
    Object.assign(console, { warn, info });
  }
}

const TTL: Configuration['ttl'] = { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 };

/** Listens at once (so that the issuer is known before the service is made); answers once `serve` is called. */
export async function testProvider(accounts: Readonly<Record<string, AccountClaims>>): Promise<TestProvider> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handle) return handle(req, res);
    res.statusCode = 503;
    res.end();
  });
  // Both loopback families: Chromium and Node's fetch may each try localhost as ::1 or as 127.0.0.1.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async serve(redirectUri) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const key = { ...(await exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
      const provider = await quietly(async () => new (await import('oidc-provider')).default(issuer, {
        clients: [{
          client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
          // RP-initiated logout sends the browser back here only (the service derives it from OIDC_REDIRECT_URL's origin).
          post_logout_redirect_uris: [new URL('/signed-out', redirectUri).href],
        }],
        // The role and practice in the profile scope; given at the UserInfo endpoint, as NHS CIS2 gives role profiles
        // (its role profiles and the selected one under its own scope, nationalrbacaccess).
        claims: { openid: ['sub'], profile: ['name', 'role', 'practice'], nationalrbacaccess: ['nhsid_nrbac_roles', 'selected_roleid'] },
        findAccount: (_ctx, id) => (Object.hasOwn(accounts, id) ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) } : undefined),
        jwks: { keys: [key] },
        cookies: { keys: ['a-cookie-key-for-the-tests-only'] },
        features: {
          devInteractions: { enabled: true },
          // RP-initiated logout's confirmation page, as a person meets it: the provider asks, they answer.
          // Its own (the default one notices on the console that it is the default).
          rpInitiatedLogout: {
            enabled: true,
            logoutSource: (ctx, form) => {
              ctx.body = `<!DOCTYPE html><html lang="en"><head><title>Sign out</title></head><body><h1>Sign out of the test provider?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
            },
          },
        },
        pkce: { required: () => true },
        ttl: TTL,
      }));
      const callback = provider.callback();
      handle = (req, res) => void callback(req, res);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
