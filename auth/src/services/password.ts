import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * One of OWASP's scrypt settings (32 MiB, about 0.1-0.4 s). A stored hash names its own
 * parameters, so raising these later only changes new hashes, and old ones are upgraded
 * at the next sign-in.
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

const SALT_BYTES = 16;
const KEY_BYTES = 64;
const FORMAT = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function derive(password: string, salt: Buffer, length: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node refuses more than 32 MiB by default; scrypt needs 128 * N * r bytes, plus headroom.
    scrypt(password, salt, length, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parse(stored: string): ParsedHash {
  const m = FORMAT.exec(stored);
  // Only this service writes these strings: an unreadable one is a bug, not a wrong password.
  if (!m) throw new Error('Unreadable password hash');
  return {
    params: { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    salt: Buffer.from(m[4], 'base64'),
    key: Buffer.from(m[5], 'base64'),
  };
}

/** scrypt with a random salt per password, stored as `$scrypt$N=..,r=..,p=..$<salt>$<key>`. */
export class PasswordHasher {
  private dummy?: Promise<string>;

  constructor(readonly params: ScryptParams = DEFAULT_SCRYPT_PARAMS) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, KEY_BYTES, this.params);
    const { N, r, p } = this.params;
    return `$scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  /**
   * Whether `password` matches `stored`. Without a stored hash (unknown email) it still
   * runs one scrypt, against a throwaway hash of the current cost, so the response time
   * does not tell which emails have accounts.
   */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const { params, salt, key } = parse(stored ?? (await this.dummyHash()));
    const candidate = await derive(password, salt, key.length, params);
    return timingSafeEqual(candidate, key) && stored !== undefined;
  }

  /** Whether `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean {
    const { params, key, salt } = parse(stored);
    const { N, r, p } = this.params;
    return params.N !== N || params.r !== r || params.p !== p || key.length !== KEY_BYTES || salt.length !== SALT_BYTES;
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(SALT_BYTES).toString('hex'));
    return this.dummy;
  }
}
