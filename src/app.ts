import { createHmac, randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { authentication } from './http/auth.js';
import { errorHandling, routerErrorReply } from './http/errors.js';
import { optionalIdempotency } from './http/idempotency.js';
import { strictJsonBodies } from './http/json-body.js';
import { rateLimitCounters } from './http/login-limits.js';
import { metrics } from './http/metrics.js';
import { responseSerializerCompiler } from './http/serializer.js';
import { securityHeaders } from './http/security-headers.js';
import { entityTags } from './http/etag.js';
import { createdLocation } from './http/location.js';
import { packageVersion, routeTransform, securitySchemes, withContractDetails } from './http/contract.js';
import { withoutUnusedSchemas, type OpenApiDocument } from './http/openapi-schemas.js';
import type { RouteOptions } from './http/options.js';
import { accountRoutes } from './http/routes/accounts.js';
import { auditRoutes } from './http/routes/audit.js';
import { eventRoutes } from './http/routes/events.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { linkRoutes } from './http/routes/links.js';
import { federationRoutes } from './http/routes/federation.js';
import { startFederation } from './use-cases/federation/client.js';
import { recoverLegs } from './use-cases/federation/recovery.js';
import { emailRoutes } from './http/routes/email.js';
import { startMailer } from './use-cases/mail-transport.js';
import { authRoutes } from './http/routes/auth.js';
import { sessionRoutes } from './http/routes/sessions.js';
import { setupRoutes } from './http/routes/setup.js';
import { categoryRoutes } from './http/routes/categories.js';
import { clientRoutes } from './http/routes/clients.js';
import { healthRoutes } from './http/routes/health.js';
import { importRoutes } from './http/routes/imports.js';
import { applicationRoutes } from './http/routes/applications.js';
import { applicationMailer } from './use-cases/application-mail.js';
import { ledgerRoutes } from './http/routes/ledger.js';
import { cycleRoutes, offerRoutes, requestRoutes } from './http/routes/listings.js';
import { memberRoutes } from './http/routes/members.js';
import { offerMarkRoutes, requestMarkRoutes } from './http/routes/needs.js';
import { meRoutes } from './http/routes/me.js';
import { reportRoutes } from './http/routes/reports.js';
import { timebankRoutes } from './http/routes/timebanks.js';
import { transferRoutes } from './http/routes/transfers.js';
import { findWebRoot, webClient } from './http/web.js';
import { readsOf } from './use-cases/reads.js';
import { sealAll } from './use-cases/sealer.js';
import { FeedSignal, sequenceAll } from './use-cases/events.js';
import { feedHead } from './db/queries/events.js';
import { Periodic } from './use-cases/periodic.js';
import { SecretBox } from './use-cases/secret-box.js';
import { webhookWorker } from './use-cases/webhook-delivery.js';

export type AppConfig = Pick<Config, 'jwtSecret' | 'tokenTtlSeconds' | 'logLevel' | 'loginRateLimit'> & Partial<Pick<Config, 'corsOrigins' | 'transferGroupMax' | 'sealIntervalMs' | 'checkResponses' | 'sessionTtlSeconds' | 'metricsToken' | 'redis' | 'webhookAllowHosts' | 'webhookRetrySchedule' | 'mail' | 'dataDir' | 'federation'>>;

export type BuildOptions = {
  config: AppConfig;
  database: Database;
  /** The time; tests pass their own to move it. Default: the system clock. */
  clock?: () => Date;
  /** Where logs go; tests pass a stream to read them. Default: standard output. */
  logStream?: NodeJS.WritableStream;
  /** The built web client served at /app. Default: dist/web of this checkout, if built; null: none. */
  webRoot?: string | null;
};

/** Log paths that may hold credentials: censored wherever they appear. */
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.client_secret',
  '*.clientSecret',
  '*.secretHash',
  '*.access_token',
  '*.accessToken',
  '*.jwtSecret',
  '*.metricsToken',
  '*.secret',
  '*.secretSealed',
  '*.smtpUrl',
  '*.privateKeyPem',
];

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, database } = options;
  const logger: FastifyServerOptions['logger'] = {
    level: config.logLevel,
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
  const app = Fastify({
    logger,
    bodyLimit: 1024 * 1024,
    // A request must arrive whole within 30 s: a body held open cannot pin a connection, nor
    // carry rights checked long before it is acted on.
    requestTimeout: 30_000,
    // A caller's request id is kept so that logs can be followed across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    frameworkErrors: routerErrorReply,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON only (and forms on the token endpoint): any other body is 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  strictJsonBodies(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler({ checkResponses: config.checkResponses ?? false }));
  // During a graceful shutdown the answers to requests still in flight close their connections,
  // so that keep-alive clients do not hold the server open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
    }
    done(null, payload);
  });

  // The chain is sealed after commit, by every process (one at a time per timebank): it starts
  // by sealing whatever committed before the last stop, and stops before the database closes.
  // Events are numbered the same way, just after, and readers waiting in this process are woken.
  const feedSignal = new FeedSignal((timebankId) => feedHead(database.db, timebankId));
  const sealer = new Periodic(
    async () => {
      await sealAll(database.db);
      await sequenceAll(database.db, feedSignal);
    },
    { intervalMs: config.sealIntervalMs ?? 200, onError: (err) => app.log.error({ err }, 'sealing or numbering events failed') },
  );
  app.addHook('onReady', async () => sealer.start());
  app.addHook('preClose', async () => sealer.stop());
  // Webhook deliveries, by every process: each endpoint leased by one worker at a time.
  const webhookSettings = {
    allowedHosts: new Set(config.webhookAllowHosts ?? []),
    secrets: new SecretBox(createHmac('sha256', config.jwtSecret).update('webhook-secrets').digest()),
  };
  const onDeliveryError = (err: unknown) => app.log.error({ err }, 'webhook delivery failed');
  const worker = webhookWorker(database.db, { ...webhookSettings, retrySchedule: config.webhookRetrySchedule, clock: options.clock ?? (() => new Date()) }, onDeliveryError);
  const deliverer = new Periodic(() => worker.pass(), { intervalMs: 250, onError: onDeliveryError });
  app.addHook('onReady', async () => deliverer.start());
  app.addHook('preClose', async () => {
    await deliverer.stop();
    await worker.stop();
  });
  // Cross transfers with other deployments still in flight, resumed by every process from its
  // start (each leg leased by one process at a time) until they end on both sides.
  const federation = await startFederation(config.federation, config.dataDir);
  const onRecoveryError = (err: unknown) => app.log.error({ err }, 'resuming a cross transfer failed');
  const recovery = new Periodic(() => recoverLegs(database.db, federation, options.clock ?? (() => new Date()), onRecoveryError), { intervalMs: 1000, onError: onRecoveryError });
  app.addHook('onReady', async () => recovery.start());
  app.addHook('preClose', async () => recovery.stop());
  // Email, when SMTP_URL is set: claim-waiting emails from the feed, and the weekly digest.
  const mailKey = createHmac('sha256', config.jwtSecret).update('unsubscribe-links').digest();
  if (config.mail) {
    const mailer = startMailer(database.db, { ...config.mail, key: mailKey }, options.clock ?? (() => new Date()), (err) => app.log.error({ err }, 'sending email failed'));
    app.addHook('onReady', async () => mailer.start());
    app.addHook('preClose', async () => mailer.stop());
  }

  await app.register(errorHandling);
  // Security headers on every answer, a content security policy that allows this origin's
  // scripts only (the web client and /docs load nothing else).
  await app.register(securityHeaders, {
    helmet: {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          // Not forced: behind no TLS (a LAN, a container) the web client would break.
          upgradeInsecureRequests: null,
        },
      },
      // Cross-origin partner apps are allowed by CORS when configured, not blocked by CORP.
      crossOriginResourcePolicy: { policy: config.corsOrigins?.length ? 'cross-origin' : 'same-origin' },
    },
  });
  // CORS is off unless origins are configured: partner apps call from servers, not browsers.
  if (config.corsOrigins?.length) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'idempotency-replayed', 'retry-after', 'ledger-sequence', 'etag', 'location'],
      maxAge: 600,
    });
  }
  await app.register(authentication, {
    secret: config.jwtSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    db: database.db,
  });
  await app.register(rateLimitCounters, { redis: config.redis });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Timebank API',
        version: packageVersion,
        description:
          'Time credits between members of time banks: a double-entry ledger in integer minutes, matching of offers and requests, and mutuality reports. Errors are RFC 9457 problem+json with a stable `code` (see the Problem schema for every code). Writes that move credits take an Idempotency-Key. docs/api.md explains authentication, scopes, idempotency, pagination and errors.',
        contact: { name: 'Timebank service maintainers', url: 'https://github.com/timebank-service/timebank-service/issues' },
        license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
      },
      // Relative: the API is wherever this document is served from.
      servers: [{ url: '/', description: 'This service' }],
      components: { securitySchemes },
      tags: [
        { name: 'auth', description: 'Tokens and the caller' },
        { name: 'timebanks', description: 'Timebanks (tenants) and their settings' },
        { name: 'members', description: 'Members and their accounts' },
        { name: 'clients', description: 'Partner-app credentials' },
        { name: 'categories', description: 'The taxonomy of offers and requests' },
        { name: 'accounts', description: 'Balances and statements' },
        { name: 'transfers', description: 'Time credits moving between accounts' },
        { name: 'ledger', description: 'Integrity checks and the accounting journal' },
        { name: 'listings', description: 'Offers and requests' },
        { name: 'matching', description: 'Ranked candidates and exchange cycles' },
        { name: 'reports', description: 'Mutuality, members, activity and the exchange export' },
        { name: 'operations', description: 'Health, readiness and metrics' },
        { name: 'audit', description: 'Who changed what: the audit log' },
        { name: 'events', description: 'The event feed: what changed, in order, for partner apps and live pages' },
        { name: 'webhooks', description: 'Events pushed to partner endpoints, signed (Standard Webhooks)' },
        { name: 'imports', description: 'Members and transfer history brought from other timebank software' },
        { name: 'applications', description: 'Applications to join a timebank, and the coordinators\' decisions' },
        { name: 'links', description: 'Links between timebanks: their limits, balances and linked members (DESIGN.md section 7)' },
        { name: 'federation', description: 'What deployments ask each other about the links between their timebanks: signed requests, no access token' },
      ],
    },
    transform: routeTransform,
    transformObject: (document) =>
      withContractDetails(withoutUnusedSchemas(jsonSchemaTransformObject(document) as OpenApiDocument)) as ReturnType<
        typeof jsonSchemaTransformObject
      >,
  });
  // After swagger, so that /metrics is documented; before every other route, so that each is measured.
  await app.register(metrics, { database, token: config.metricsToken });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const routeOptions: RouteOptions = {
    database,
    reads: readsOf(database.db),
    loginRateLimit: config.loginRateLimit,
    clock: options.clock ?? (() => new Date()),
    pseudonymKey: createHmac('sha256', config.jwtSecret).update('exchange-export-pseudonyms').digest(),
    transferGroupMax: config.transferGroupMax ?? 100,
    feedSignal,
    webhooks: webhookSettings,
    mailKey,
    dataDir: config.dataDir,
    federation,
    applicationMail: config.mail ? applicationMailer(config.mail, (err) => app.log.error({ err }, 'emailing an applicant failed')) : undefined,
    sessions: {
      ttlSeconds: config.sessionTtlSeconds ?? 14 * 86_400,
      key: createHmac('sha256', config.jwtSecret).update('refresh-tokens').digest(),
    },
  };
  await app.register(optionalIdempotency, { database, clock: routeOptions.clock });
  await app.register(createdLocation);
  await app.register(entityTags);
  const routeGroups = [
    healthRoutes,
    authRoutes,
    setupRoutes,
    sessionRoutes,
    meRoutes,
    timebankRoutes,
    memberRoutes,
    clientRoutes,
    categoryRoutes,
    accountRoutes,
    transferRoutes,
    ledgerRoutes,
    offerRoutes,
    requestRoutes,
    cycleRoutes,
    offerMarkRoutes,
    requestMarkRoutes,
    reportRoutes,
    auditRoutes,
    eventRoutes,
    webhookRoutes,
    emailRoutes,
    importRoutes,
    applicationRoutes,
    linkRoutes,
    federationRoutes,
  ];
  for (const routes of routeGroups) {
    await app.register(routes, routeOptions);
  }
  await app.register(webClient, { root: options.webRoot === undefined ? findWebRoot() : (options.webRoot ?? undefined) });
  return app;
}
