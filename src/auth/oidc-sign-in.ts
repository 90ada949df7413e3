/**
 * Signing a person in with the identity provider (NHS CIS2, say): OpenID Connect's authorization
 * code flow with PKCE (S256), by openid-client. `begin` makes the state, nonce and code verifier the
 * browser's sign-in is bound to (the web pages keep them in a short-lived HttpOnly cookie) and the
 * provider's authorization address; `finish` takes the provider's answer at the callback, checks its
 * state and issuer, exchanges the code with the verifier, and checks the ID token twice: by
 * openid-client (issuer, audience, expiry, nonce) and by jose against the keys configured for bearer
 * tokens (signature, algorithm allow-list, issuer, audience, expiry, nonce), so that an ID token is
 * never trusted on the strength of TLS alone. The claims (the ID token's, over the UserInfo
 * endpoint's when the provider has one, as CIS2 gives role profiles there) are mapped to a person as
 * bearer tokens are (oidc.ts). The provider is discovered at the first sign-in, and again after a
 * failure. Errors are reasons (coded values), never the provider's messages or any token.
 *
 * `signOutUrl` is OpenID Connect RP-initiated logout: the provider's `end_session_endpoint` (from
 * discovery) with the session's ID token as `id_token_hint` (the client id beside it, or alone when
 * there is no ID token), this service's /signed-out as `post_logout_redirect_uri` (the origin of
 * OIDC_REDIRECT_URL, so registered with the provider beside the callback) and a `state` the browser
 * brings back.
 */
import * as client from 'openid-client';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcConfig, OidcSignInConfig } from '../config.js';
import { principalFromClaims } from './oidc.js';
import type { Principal } from './principal.js';

/** A sign-in's outcome: the person, with the ID token (kept server-side, for signing out at the provider). */
export type SignInCheck = { ok: true; principal: Principal; idToken: string } | { ok: false; reason: string };

/** What the browser's sign-in is bound to, kept between `begin` and `finish`. */
export interface SignInFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcSignIn {
  providerName: string;
  /** this service's callback address, as the provider knows it */
  redirectUrl: string;
  begin(): Promise<{ url: URL; flow: SignInFlow }>;
  /** `callbackUrl`: the callback's address with the provider's query, as the browser was sent to it */
  finish(callbackUrl: URL, flow: SignInFlow): Promise<SignInCheck>;
  /** The provider's address that ends the person's sign-in there and sends them back to /signed-out with `state`; undefined when the provider has no end_session_endpoint. Rejects when the provider cannot be discovered. */
  signOutUrl(idToken: string | null, state: string): Promise<URL | undefined>;
  /**
   * The provider's origins a form of ours may end at: the sign-out form is redirected to the
   * end-session address, and browsers hold a form's redirects to the page's CSP form-action.
   */
  formTargets(): readonly string[];
}

/** A reason safe to log and to decide the page on: a coded value, never a message from the provider. */
function reasonOf(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) return 'provider-refused';
  if (error instanceof client.ResponseBodyError) return 'exchange-refused';
  if (error instanceof errors.JOSEError) return `id-token-${error.code.replace(/^ERR_JWT_|^ERR_JWS_|^ERR_/, '').toLowerCase()}`;
  if (error instanceof client.ClientError) return `protocol-${String(error.code ?? 'error').replace(/^OAUTH_/, '').toLowerCase().replaceAll('_', '-')}`;
  return 'provider-unreachable';
}

export function oidcSignIn(config: OidcConfig & { signIn: OidcSignInConfig }, keys: JWTVerifyGetKey): OidcSignIn {
  const { signIn } = config;
  const postLogoutRedirectUrl = new URL('/signed-out', signIn.redirectUrl).href;
  // The issuer's origin from the start; the end-session address's too once discovery has named it.
  const targets = new Set([new URL(config.issuer).origin]);
  let discovered: Promise<client.Configuration> | undefined;
  const provider = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        signIn.clientId,
        { redirect_uris: [signIn.redirectUrl], response_types: ['code'], [client.clockTolerance]: config.clockToleranceSeconds },
        signIn.clientSecret ? client.ClientSecretBasic(signIn.clientSecret) : client.None(),
        // http:// only for a provider on this machine (config.ts refuses any other).
        { ...(new URL(config.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}), timeout: 5 },
      );
    discovered.then(
      (found) => {
        const endSession = found.serverMetadata().end_session_endpoint;
        const origin = endSession && URL.canParse(endSession) ? new URL(endSession).origin : 'null';
        if (/^https?:\/\//.test(origin)) targets.add(origin);
      },
      () => {
        discovered = undefined;
      },
    );
    return discovered;
  };

  return {
    providerName: signIn.providerName,
    redirectUrl: signIn.redirectUrl,
    async begin() {
      const found = await provider();
      const flow: SignInFlow = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
      const url = client.buildAuthorizationUrl(found, {
        redirect_uri: signIn.redirectUrl,
        response_type: 'code',
        scope: signIn.scopes,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { url, flow };
    },
    async finish(callbackUrl, flow) {
      try {
        const found = await provider();
        const tokens = await client.authorizationCodeGrant(found, callbackUrl, { pkceCodeVerifier: flow.codeVerifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
        const { payload } = await jwtVerify(tokens.id_token as string, keys, {
          issuer: config.issuer,
          audience: signIn.clientId,
          algorithms: [...config.algorithms],
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
        });
        if (payload.nonce !== flow.nonce) return { ok: false, reason: 'id-token-nonce' };
        let claims: JWTPayload = payload;
        if (found.serverMetadata().userinfo_endpoint) {
          // The subject must be the ID token's (openid-client checks it); the signed ID token's claims win.
          const userInfo = await client.fetchUserInfo(found, tokens.access_token, payload.sub as string);
          claims = { ...userInfo, ...payload };
        }
        const check = principalFromClaims(claims, config);
        return check.ok ? { ...check, idToken: tokens.id_token as string } : check;
      } catch (error) {
        return { ok: false, reason: reasonOf(error) };
      }
    },
    async signOutUrl(idToken, state) {
      const found = await provider();
      if (!found.serverMetadata().end_session_endpoint) return undefined;
      // buildEndSessionUrl adds client_id, which names the client when there is no ID token to.
      return client.buildEndSessionUrl(found, { post_logout_redirect_uri: postLogoutRedirectUrl, state, ...(idToken ? { id_token_hint: idToken } : {}) });
    },
    formTargets: () => [...targets],
  };
}
