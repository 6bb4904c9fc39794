/**
 * The server's DTLS certificate: an ECDSA P-256 key generated on first run and
 * kept in the data directory (mode 0600), so the fingerprint clients see is
 * stable across restarts and no key is generated while a client waits.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';

export interface DtlsKeys {
  certPem: string;
  keyPem: string;
  signatureHash: { hash: number; signature: number };
}

const FILE = 'dtls-identity.json';

export async function loadOrCreateDtlsKeys(dataDir: string): Promise<{ keys: DtlsKeys; created: boolean }> {
  const file = path.join(dataDir, FILE);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as DtlsKeys;
    if (typeof parsed.certPem === 'string' && typeof parsed.keyPem === 'string' && parsed.signatureHash) {
      return { keys: parsed, created: false };
    }
    throw new Error(`${file} is not a DTLS identity`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const made = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  const keys: DtlsKeys = { certPem: made.certPem, keyPem: made.keyPem, signatureHash: { hash: made.signatureHash.hash, signature: made.signatureHash.signature } };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(keys), { mode: 0o600 });
  await rename(tmp, file);
  return { keys, created: true };
}
