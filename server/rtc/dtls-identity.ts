/**
 * The server's DTLS certificate: an ECDSA P-256 key generated on first run and
 * kept in the data directory (util/key-file.ts: mode 0600, written atomically),
 * so the fingerprint clients see is stable across restarts and no key is
 * generated while a client waits.
 */
import path from 'node:path';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';
import { loadOrCreateKeyFile } from '../util/key-file.ts';

export interface DtlsKeys {
  certPem: string;
  keyPem: string;
  signatureHash: { hash: number; signature: number };
}

const FILE = 'dtls-identity.json';

export async function loadOrCreateDtlsKeys(dataDir: string): Promise<{ keys: DtlsKeys; created: boolean }> {
  const { value: keys, created } = await loadOrCreateKeyFile(path.join(dataDir, FILE), makeIdentity, parseIdentity);
  return { keys, created };
}

async function makeIdentity(): Promise<string> {
  const made = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  const keys: DtlsKeys = { certPem: made.certPem, keyPem: made.keyPem, signatureHash: { hash: made.signatureHash.hash, signature: made.signatureHash.signature } };
  return JSON.stringify(keys);
}

function parseIdentity(text: string): DtlsKeys {
  const parsed = JSON.parse(text) as Partial<DtlsKeys> | null;
  const sh = parsed?.signatureHash;
  if (typeof parsed?.certPem !== 'string' || typeof parsed.keyPem !== 'string' || typeof sh?.hash !== 'number' || typeof sh.signature !== 'number') {
    throw new Error('not a DTLS identity (certPem, keyPem, signatureHash); delete the file to generate a new one');
  }
  return { certPem: parsed.certPem, keyPem: parsed.keyPem, signatureHash: { hash: sh.hash, signature: sh.signature } };
}
