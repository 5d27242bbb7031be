import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { KEY_FILE, loadFederationKey } from '../../src/use-cases/federation/keys.js';
import { signRequest, verifySignature } from '../../src/use-cases/federation/signing.js';

/*
 * A deployment's federation key: given in the configuration (PEM or its base64), or generated
 * once into DATA_DIR and read back after a restart; and what it signs verifies with its public
 * half only.
 */

const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-federation-key-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('the federation key', () => {
  it('is read from FEDERATION_PRIVATE_KEY, as PEM or as its base64, and refused when it is not Ed25519', async () => {
    const pem = ed25519Pem();
    const given = loadConfig({ DATA_DIR: dataDir, FEDERATION_PRIVATE_KEY: pem }).federation.privateKeyPem!;
    const encoded = loadConfig({ DATA_DIR: dataDir, FEDERATION_PRIVATE_KEY: Buffer.from(pem).toString('base64') }).federation.privateKeyPem!;
    expect((await loadFederationKey({ privateKeyPem: given })).keyId).toBe((await loadFederationKey({ privateKeyPem: encoded })).keyId);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const value of [rsa, 'not a key', Buffer.from('not a key').toString('base64')]) {
      expect(() => loadConfig({ DATA_DIR: dataDir, FEDERATION_PRIVATE_KEY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_DIR: dataDir, FEDERATION_PRIVATE_KEY: value })).toThrow(/FEDERATION_PRIVATE_KEY: must be an Ed25519 private key/);
    }
  });

  it('is generated once into DATA_DIR, for its owner only, and the same after a restart', async () => {
    const first = await loadFederationKey({ dataDir });
    expect(statSync(path.join(dataDir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dataDir, KEY_FILE), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await loadFederationKey({ dataDir })).keyId).toBe(first.keyId);
    // The configured key wins over the kept one.
    expect((await loadFederationKey({ dataDir, privateKeyPem: ed25519Pem() })).keyId).not.toBe(first.keyId);
  });

  it('signs what its public half verifies, and another key\'s public half does not', async () => {
    const key = await loadFederationKey({});
    const signature = await signRequest(key, { method: 'GET', path: '/v1/federation/key', body: '', senderUrl: 'https://riverside.example', now: new Date() });
    await expect(verifySignature(signature, key.publicJwk)).resolves.toMatchObject({ method: 'GET', senderUrl: 'https://riverside.example' });
    const other = await loadFederationKey({});
    await expect(verifySignature(signature, other.publicJwk)).rejects.toMatchObject({ code: 'signature_invalid' });
    const [header, payload] = signature.split('.');
    await expect(verifySignature(`${header}.${payload}.${'A'.repeat(86)}`, key.publicJwk)).rejects.toMatchObject({ code: 'signature_invalid' });
  });
});
