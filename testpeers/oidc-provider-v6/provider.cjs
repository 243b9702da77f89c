// A real OpenID Provider for Exeunt's end-to-end tests: panva's oidc-provider 6.31.1, the last
// major with Front-Channel Logout (draft 04) and Session Management (draft 30). Same
// configuration and READY line as ../oidc-provider/provider.mjs (v9). Not shipped; never
// exposed beyond 127.0.0.1.
//
// Usage:
//   node provider.cjs CONFIG.json
//   OIDC_PEER_CONFIG='{"clients":[...]}' node provider.cjs
//
// Configuration (JSON):
//   port              number, default 0 (a free port is picked)
//   issuer_host       host name used in the issuer URL, default "127.0.0.1" (the server always
//                     listens on 127.0.0.1; another name must resolve there for whoever uses it)
//   clients           oidc-provider client metadata, snake_case, as registered statically
//                     (frontchannel_logout_uri and frontchannel_logout_session_required too)
//   ttl               optional overrides of oidc-provider's ttl settings, in seconds
//   require_consent   default false: consent is granted silently for every configured client
//   conform_id_token_claims
//                     default false: profile and email claims are put in the ID token too
//   session_management
//                     default true: check_session_iframe and session_state
//
// When ready it prints exactly one line to stdout: "OIDC_PEER_READY <issuer>".
// Errors go to stderr; everything else is quiet unless OIDC_PEER_DEBUG=1.

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const debugEnabled = process.env.OIDC_PEER_DEBUG === '1';

// oidc-provider 6 prints its development notices with console.info (to stdout!) and
// console.warn; Node 20 adds deprecation warnings for the APIs it uses. None of it matters
// here, and stdout must carry the READY line only.
const realWarn = console.warn.bind(console);
console.info = (...args) => {
  if (debugEnabled) realWarn(...args);
};
console.warn = (...args) => {
  if (debugEnabled || !/^(\x1b\[[0-9;]*m)?WARNING: /.test(String(args[0]))) realWarn(...args);
};
if (!debugEnabled) process.noDeprecation = true;

function fail(message) {
  process.stderr.write(`oidc-peer: ${message}\n`);
  process.exit(2);
}

function readConfig() {
  const args = process.argv.slice(2);
  if (args.length > 1) fail('usage: node provider.cjs [CONFIG.json] (or OIDC_PEER_CONFIG=<json>)');
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
    fail('usage: node provider.cjs CONFIG.json (or OIDC_PEER_CONFIG=<json>)');
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

async function main() {
  const cfg = readConfig();
  const requireConsent = cfg.require_consent === true;

  const Provider = require('oidc-provider');

  // Signing key: one RSA key for RS256, made fresh at every start.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: crypto.randomBytes(8).toString('hex'),
    use: 'sig',
    alg: 'RS256',
  };

  // Accounts: any login is an account; sub is the login itself.
  async function findAccount(ctx, id) {
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

  const server = http.createServer();
  server.on('error', (err) => fail(`listen: ${err.message}`));
  await new Promise((resolve) => server.listen(cfg.port || 0, '127.0.0.1', resolve));
  const { port } = server.address();
  const issuer = `http://${cfg.issuer_host || '127.0.0.1'}:${port}`;

  let provider;
  try {
    provider = new Provider(issuer, {
      clients: cfg.clients || [],
      jwks: { keys: [signingKey] },
      cookies: { keys: [crypto.randomBytes(32).toString('base64')] },
      findAccount,
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
      features: {
        devInteractions: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        backchannelLogout: { enabled: true, ack: 'draft-06' },
        frontchannelLogout: { enabled: true, ack: 'draft-04' },
        sessionManagement: { enabled: cfg.session_management !== false, ack: 'draft-30' },
        claimsParameter: { enabled: true },
      },
      // oidc-provider 6 sends back-channel logout tokens with got and has no SSRF guard: POSTs
      // to 127.0.0.1 listeners go through as they are. (v9 needs its fetch replaced.)
      ...(cfg.ttl ? { ttl: cfg.ttl } : undefined),
    });
  } catch (err) {
    fail(`configuration: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
  }

  // oidc-provider checks static clients' metadata lazily, at first use: check them now, so
  // that a bad registration fails the start instead of a later request.
  for (const client of cfg.clients || []) {
    try {
      if (!await provider.Client.find(String(client.client_id))) throw new Error('not found');
    } catch (err) {
      fail(`client ${client.client_id}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}`);
    }
  }

  // Consent: every configured client is first-party. oidc-provider 6 has no grants to
  // pre-create (that came in v7), so a consent interaction is answered as soon as the browser
  // arrives at it, exactly as devInteractions' own "Continue" button would.
  if (!requireConsent) {
    provider.use(async (ctx, next) => {
      if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
        const details = await provider.interactionDetails(ctx.req, ctx.res);
        if (details.prompt && details.prompt.name === 'consent') {
          const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: {} }, {
            mergeWithLastSubmission: true,
          });
          ctx.set('cache-control', 'no-store');
          ctx.redirect(returnTo);
          return;
        }
      }
      await next();
    });
  }

  // Errors (server errors, refused requests, failed back-channel deliveries) go to stderr,
  // one line each; OIDC_PEER_DEBUG=1 prints every event.
  const realEmit = provider.emit.bind(provider);
  provider.emit = (name, ...args) => {
    if (name === 'server_error' || name.endsWith('.error')) {
      const err = args.find((a) => a instanceof Error);
      const detail = err ? `${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}${err.cause && err.cause.message ? ` (cause: ${err.cause.message})` : ''}` : '';
      let client = args.find((a) => a && typeof a.clientId === 'string' && typeof a.backchannelLogout === 'function');
      try {
        client = client || (args[0] && args[0].oidc && args[0].oidc.client);
      } catch (e) {
        // no client in this context
      }
      process.stderr.write(`oidc-peer: ${name}${client ? ` client=${client.clientId}` : ''} ${detail}\n`);
      if (name === 'server_error' && err && err.stack) process.stderr.write(`${err.stack}\n`);
    } else if (debugEnabled) {
      process.stderr.write(`oidc-peer: event ${name}\n`);
    }
    return realEmit(name, ...args);
  };

  server.on('request', provider.callback);

  function shutdown() {
    server.close();
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
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
