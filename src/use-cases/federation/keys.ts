import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey } from 'jose';
import type { PeerPublicKey } from '../../domain/federation.js';

/*
 * This deployment's Ed25519 key pair, which signs every federation request it sends. Given in
 * the configuration (FEDERATION_PRIVATE_KEY), or generated on the first start and kept in
 * DATA_DIR beside the JWT secret, so that links made before a restart still verify after it.
 */

export const KEY_FILE = 'federation-key.pem';

export type FederationKey = {
  privateKey: CryptoKey;
  publicJwk: PeerPublicKey;
  /** The public key's JWK thumbprint (RFC 7638): how peers and logs name it. */
  keyId: string;
};

/** The configured key, else the one in `dataDir` (made there when there is none), else one for this process only. */
export async function loadFederationKey(source: { privateKeyPem?: string | undefined; dataDir?: string | undefined }): Promise<FederationKey> {
  if (source.privateKeyPem !== undefined) return keyFromPem(source.privateKeyPem);
  if (source.dataDir !== undefined) return keyFromPem(await readOrCreatePem(source.dataDir));
  return keyFromPem(await newPem());
}

/** The public half as a JWK, and its thumbprint. */
export async function publicKeyOf(key: CryptoKey): Promise<{ publicJwk: PeerPublicKey; keyId: string }> {
  const { x } = await exportJWK(key);
  if (x === undefined) throw new Error('the federation key is not an Ed25519 key');
  const publicJwk: PeerPublicKey = { kty: 'OKP', crv: 'Ed25519', x };
  return { publicJwk, keyId: await calculateJwkThumbprint(publicJwk) };
}

/** A peer's public key as received: an Ed25519 JWK and nothing else, with its thumbprint; undefined otherwise. */
export async function peerKeyOf(value: unknown): Promise<{ publicJwk: PeerPublicKey; keyId: string } | undefined> {
  const jwk = value as Partial<PeerPublicKey> | undefined;
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') return undefined;
  if (typeof jwk.x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) return undefined;
  const publicJwk: PeerPublicKey = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  return { publicJwk, keyId: await calculateJwkThumbprint(publicJwk) };
}

async function keyFromPem(pem: string): Promise<FederationKey> {
  // Extractable, so that its public half can be exported; the private half never is.
  const privateKey = await importPKCS8(pem, 'EdDSA', { extractable: true });
  return { privateKey, ...(await publicKeyOf(privateKey)) };
}

async function newPem(): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return exportPKCS8(privateKey);
}

/**
 * The key kept in `dataDir`, readable by its owner only. Created exclusively: of two processes
 * starting at once on one directory, the second reads the first's key.
 */
async function readOrCreatePem(dataDir: string): Promise<string> {
  const file = path.join(dataDir, KEY_FILE);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const pem = await newPem();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8');
  }
}
