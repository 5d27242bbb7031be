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
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: '30',
      CORS_ORIGINS: 'https://a.example, http://b.example:8080',
      TRANSFER_GROUP_MAX: '1',
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
      loginRateLimit: { max: 3, windowSeconds: 30 },
      corsOrigins: ['https://a.example', 'http://b.example:8080'],
      transferGroupMax: 1,
      checkResponses: true,
    });
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({ corsOrigins: [], transferGroupMax: 100 });
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
    [{ CHECK_RESPONSES: 'yes' }, 'CHECK_RESPONSES'],
    [{ CORS_ORIGINS: 'https://partner.example/' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://partner.example/app' }, 'CORS_ORIGINS'],
  ])('fails fast on %o, naming %s', (environment, named) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, ...environment })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir, ...environment })).toThrow(named);
  });
});
