// A real OpenID Provider for Exeunt's end-to-end tests: panva's oidc-provider v9, configured
// as a small, self-contained test peer. Not shipped; never exposed beyond 127.0.0.1.
//
// Usage:
//   node provider.mjs CONFIG.json
//   OIDC_PEER_CONFIG='{"clients":[...]}' node provider.mjs
//
// Configuration (JSON):
//   port              number, default 0 (a free port is picked)
//   issuer_host       host name used in the issuer URL, default "127.0.0.1" (the server always
//                     listens on 127.0.0.1; another name must resolve there for whoever uses it)
//   clients           oidc-provider client metadata, snake_case, as registered statically
//   ttl               optional overrides of oidc-provider's ttl settings, in seconds
//   require_consent   default false: consent is granted silently for every configured client
//   conform_id_token_claims
//                     default false: profile and email claims are put in the ID token too
//                     (oidc-provider's own default, true, keeps them to the userinfo endpoint)
//
// When ready it prints exactly one line to stdout: "OIDC_PEER_READY <issuer>".
// Errors go to stderr; everything else is quiet unless OIDC_PEER_DEBUG=1.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

const debugEnabled = process.env.OIDC_PEER_DEBUG === '1';

// oidc-provider prints development notices (devInteractions, the Node.js version, ...) through
// console.info and console.warn. They are expected here: keep them out of the way.
// console.info writes to stdout, which must carry the READY line only: with
// OIDC_PEER_DEBUG=1 the notices go to stderr.
const realWarn = console.warn.bind(console);
console.warn = (...args) => {
  if (debugEnabled || !String(args[0]).includes('oidc-provider')) realWarn(...args);
};
console.info = (...args) => {
  if (debugEnabled) realWarn(...args);
};

function fail(message) {
  process.stderr.write(`oidc-peer: ${message}\n`);
  process.exit(2);
}

function readConfig() {
  const args = process.argv.slice(2);
  if (args.length > 1) fail('usage: node provider.mjs [CONFIG.json] (or OIDC_PEER_CONFIG=<json>)');
  let text;
  let source;
  if (args.length === 1) {
    source = args[0];
    try {
      text = fs.readFileSync(args[0], 'utf8');
    } catch (err) {
      fail(`cannot read ${args[0]}: ${err.message}`);
    }
  } else if (process.env.OIDC_PEER_CONFIG) {
    source = 'OIDC_PEER_CONFIG';
    text = process.env.OIDC_PEER_CONFIG;
  } else {
    fail('usage: node provider.mjs CONFIG.json (or OIDC_PEER_CONFIG=<json>)');
  }
  let cfg;
  try {
    cfg = JSON.parse(text);
  } catch (err) {
    fail(`${source}: invalid JSON: ${err.message}`);
  }
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) fail(`${source}: must be a JSON object`);
  if (cfg.clients !== undefined && !Array.isArray(cfg.clients)) fail(`${source}: clients must be an array`);
  if (cfg.port !== undefined && !Number.isInteger(cfg.port)) fail(`${source}: port must be an integer`);
  return cfg;
}

const cfg = readConfig();
const requireConsent = cfg.require_consent === true;

// The oidc-provider import comes after the console filter above, so that its load-time
// notice about the Node.js version is filtered too.
const { default: Provider } = await import('oidc-provider');

// Signing key: one RSA key for RS256, made fresh at every start.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  use: 'sig',
  alg: 'RS256',
};

// Accounts: any login is an account; sub is the login itself.
async function findAccount(_ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: `User ${id}`,
        email: `${id}@example.test`,
        email_verified: true,
      };
    },
  };
}

// Consent: every configured client is first-party, so the grant is created (or extended) with
// whatever the request asks for, and the consent prompt never shows. With require_consent the
// provider behaves as shipped (devInteractions' consent page).
async function loadExistingGrant(ctx) {
  const { oidc } = ctx;
  const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (requireConsent) return grant;
  if (!grant) {
    grant = new oidc.provider.Grant({
      accountId: oidc.account.accountId,
      clientId: oidc.client.clientId,
    });
  }
  const scopes = [...oidc.requestParamOIDCScopes];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

// Outgoing requests (the back-channel logout POSTs): oidc-provider passes an undici dispatcher
// that destroys every connection to loopback and private addresses (its SSRF guard). The test
// clients listen on 127.0.0.1, so the dispatcher is dropped and plain fetch is used.
function peerFetch(url, options) {
  const { dispatcher, ...rest } = options; // eslint-disable-line no-unused-vars
  return globalThis.fetch(url, rest);
}

const server = http.createServer();
server.on('error', (err) => fail(`listen: ${err.message}`));
await new Promise((resolve) => server.listen(cfg.port ?? 0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://${cfg.issuer_host || '127.0.0.1'}:${port}`;

let provider;
try {
  provider = new Provider(issuer, {
    clients: cfg.clients ?? [],
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    findAccount,
    loadExistingGrant,
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
      sid: null,
      auth_time: null,
      acr: null,
      iss: null,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    conformIdTokenClaims: cfg.conform_id_token_claims === true,
    fetch: peerFetch,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
    },
    ...(cfg.ttl ? { ttl: cfg.ttl } : undefined),
  });
} catch (err) {
  fail(`configuration: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
}

// oidc-provider checks static clients' metadata lazily, at first use: check them now, so that
// a bad registration fails the start instead of a later request.
for (const client of cfg.clients ?? []) {
  if (client.frontchannel_logout_uri !== undefined || client.frontchannel_logout_session_required !== undefined) {
    fail(`client ${client.client_id}: oidc-provider v9 has no front-channel logout (it would ignore frontchannel_logout_*): use the v6 peer`);
  }
  try {
    if (!await provider.Client.find(String(client.client_id))) throw new Error('not found');
  } catch (err) {
    fail(`client ${client.client_id}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
  }
}

// Errors (server errors, refused requests, failed back-channel deliveries) go to stderr, one
// line each; OIDC_PEER_DEBUG=1 prints every event.
const realEmit = provider.emit.bind(provider);
provider.emit = (name, ...args) => {
  if (name === 'server_error' || name.endsWith('.error')) {
    const err = args.find((a) => a instanceof Error);
    const detail = err ? `${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}${err.cause && err.cause.message ? ` (cause: ${err.cause.message})` : ''}` : '';
    let client = args.find((a) => typeof a?.clientId === 'string' && typeof a?.backchannelLogout === 'function');
    try {
      client ??= args[0]?.oidc?.client;
    } catch {
      // no client in this context
    }
    process.stderr.write(`oidc-peer: ${name}${client ? ` client=${client.clientId}` : ''} ${detail}\n`);
    if (name === 'server_error' && err?.stack) process.stderr.write(`${err.stack}\n`);
  } else if (debugEnabled) {
    process.stderr.write(`oidc-peer: event ${name}\n`);
  }
  return realEmit(name, ...args);
};

server.on('request', provider.callback());

function shutdown() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// The Go helper keeps stdin open for the peer's lifetime: when the test process goes away,
// even by SIGKILL, stdin ends and the peer follows.
if (process.env.OIDC_PEER_EXIT_ON_STDIN_EOF === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

process.stdout.write(`OIDC_PEER_READY ${issuer}\n`);
