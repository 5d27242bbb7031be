import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('has working defaults and generates a JWT secret once for the embedded database', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      databasePoolSize: 10,
      databaseConnectionLifetimeSeconds: 30,
      tokenTtlSeconds: 900,
      logLevel: 'info',
      admin: undefined,
      corsOrigins: [],
      transferGroupMax: 100,
      sealIntervalMs: 200,
      checkResponses: false,
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim()).toBe(config.jwtSecret);
    expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toBe(config.jwtSecret);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@h:5432/d',
      DATABASE_POOL_SIZE: '5',
      DATABASE_CONNECTION_LIFETIME_SECONDS: '0',
      JWT_SECRET: 's'.repeat(32),
      TOKEN_TTL_SECONDS: '300',
      ADMIN_EMAIL: 'Root@Example.org',
      ADMIN_PASSWORD: 'twelve-chars!',
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT_MAX: '3',
      LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX: '7',
      LOGIN_RATE_LIMIT_PER_ADDRESS_MAX: '40',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: '30',
      REDIS_URL: 'redis://cache.internal:6379/2',
      REDIS_KEY_PREFIX: 'tb-prod:',
      CORS_ORIGINS: 'https://a.example, http://b.example:8080',
      TRANSFER_GROUP_MAX: '1',
      SEAL_INTERVAL_MS: '1000',
      CHECK_RESPONSES: 'true',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u@h:5432/d',
      databasePoolSize: 5,
      databaseConnectionLifetimeSeconds: 0,
      jwtSecret: 's'.repeat(32),
      tokenTtlSeconds: 300,
      admin: { email: 'root@example.org', password: 'twelve-chars!' },
      logLevel: 'warn',
      loginRateLimit: { max: 3, perIdentifierMax: 7, perAddressMax: 40, windowSeconds: 30 },
      redis: { url: 'redis://cache.internal:6379/2', keyPrefix: 'tb-prod:' },
      corsOrigins: ['https://a.example', 'http://b.example:8080'],
      transferGroupMax: 1,
      sealIntervalMs: 1000,
      checkResponses: true,
    });
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({ corsOrigins: [], transferGroupMax: 100 });
    // Login limits default to 10 per address and identifier, 30 per identifier, 60 per address a
    // minute, counted in memory.
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({
      loginRateLimit: { max: 10, perIdentifierMax: 30, perAddressMax: 60, windowSeconds: 60 },
      redis: undefined,
    });
    expect(loadConfig({ DATA_DIR: dataDir, REDIS_URL: 'rediss://h:6380' }).redis).toEqual({ url: 'rediss://h:6380', keyPrefix: 'timebank:' });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80a' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://u@h/d' }, 'JWT_SECRET: is required'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ ADMIN_EMAIL: 'root@example.org' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'twelve-chars!' }, 'ADMIN_EMAIL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TOKEN_TTL_SECONDS: '5' }, 'TOKEN_TTL_SECONDS'],
    [{ CORS_ORIGINS: 'https://ok.example,javascript:alert(1)' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ TRANSFER_GROUP_MAX: '0' }, 'TRANSFER_GROUP_MAX'],
    // A transfer is sealed within a second of its commit: a slower sealer could not promise it.
    [{ SEAL_INTERVAL_MS: '1001' }, 'SEAL_INTERVAL_MS'],
    [{ SEAL_INTERVAL_MS: '5' }, 'SEAL_INTERVAL_MS'],
    [{ CHECK_RESPONSES: 'yes' }, 'CHECK_RESPONSES'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ LOGIN_RATE_LIMIT_PER_ADDRESS_MAX: '0' }, 'LOGIN_RATE_LIMIT_PER_ADDRESS_MAX'],
    [{ LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX: 'ten' }, 'LOGIN_RATE_LIMIT_PER_IDENTIFIER_MAX'],
    [{ CORS_ORIGINS: 'https://partner.example/' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://partner.example/app' }, 'CORS_ORIGINS'],
  ])('fails fast on %o, naming %s', (environment, named) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, ...environment })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir, ...environment })).toThrow(named);
  });
});
