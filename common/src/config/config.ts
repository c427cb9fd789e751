import os from 'node:os';
import { randomBytes } from 'node:crypto';

/** One environment variable: how to parse it, and its default when it may be absent. */
export interface VarSpec<T> {
  kind: 'string' | 'int' | 'bool' | 'url';
  default?: T | (() => T);
  /** Extra check on the parsed value; return a reason to reject it. */
  check?(value: T): string | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigSpec = Record<string, VarSpec<any>>;
type Spec = ConfigSpec;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const env = {
  string: (opts: Omit<VarSpec<string>, 'kind'> = {}): VarSpec<string> => ({ kind: 'string', ...opts }),
  url: (opts: Omit<VarSpec<string>, 'kind'> = {}): VarSpec<string> => ({ kind: 'url', ...opts }),
  int: (opts: Omit<VarSpec<number>, 'kind'> = {}): VarSpec<number> => ({ kind: 'int', ...opts }),
  bool: (opts: Omit<VarSpec<boolean>, 'kind'> = {}): VarSpec<boolean> => ({ kind: 'bool', ...opts }),
};

function parse(kind: VarSpec<unknown>['kind'], raw: string): { value?: unknown; error?: string } {
  switch (kind) {
    case 'string':
      return { value: raw };
    case 'url':
      try {
        new URL(raw);
        return { value: raw };
      } catch {
        return { error: 'must be a URL' };
      }
    case 'int':
      return /^\d+$/.test(raw) ? { value: Number(raw) } : { error: 'must be a whole number' };
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return { value: true };
      if (/^(false|0|no)$/i.test(raw)) return { value: false };
      return { error: 'must be true or false' };
  }
}

/**
 * Builds the typed config once from the environment. Every problem is collected, so a
 * misconfigured deployment learns all missing variables from one failed start.
 */
export function loadConfig<S extends Spec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const raw = source[name];
    if (raw === undefined || raw.trim() === '') {
      if (v.default === undefined) problems.push(`${name} is required but not set`);
      else out[name] = typeof v.default === 'function' ? (v.default as () => unknown)() : v.default;
      continue;
    }
    const { value, error } = parse(v.kind, raw.trim());
    const reason = error ?? v.check?.(value);
    if (reason) problems.push(`${name} ${reason}`);
    else out[name] = value;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Names a deployment must set: the variables without a default. */
export function requiredVariables(spec: Spec): string[] {
  return Object.entries(spec)
    .filter(([, v]) => v.default === undefined)
    .map(([name]) => name);
}

/** NATS Streaming refuses two connections with one client id, so each process gets its own. */
export function defaultClientId(service: string): string {
  const host = os.hostname().replace(/[^A-Za-z0-9_-]/g, '-');
  return `${service}-${host}-${randomBytes(3).toString('hex')}`;
}

/**
 * The session key signs every session: at least 32 bytes, and not a word repeated (a key
 * like "aaaa…" or "secretsecret…" has the length but none of the randomness).
 */
const strongKey = (v: string) => {
  if (Buffer.byteLength(v) < 32) return 'must be at least 32 bytes of random data (e.g. `openssl rand -hex 32`)';
  if (new Set(v).size < 12) return 'looks too regular to be random; use e.g. `openssl rand -hex 32`';
  return undefined;
};

/** Every service: where it listens and how much it logs. */
export const baseEnv = {
  PORT: env.int({ default: 3000 }),
  LOG_LEVEL: env.string({ default: 'info' }),
  /** Prometheus /metrics on a port of its own (not routed by the ingress); 0 = off. */
  METRICS_PORT: env.int({ default: 9464 }),
};

/** Services that read the session cookie. */
export const sessionEnv = {
  JWT_KEY: env.string({ check: strongKey }),
  COOKIE_SECURE: env.bool({ default: true }),
};

export const mongoEnv = {
  MONGO_URI: env.url(),
};

/** Services on the event bus; the client id defaults to host name + random suffix. */
export function natsEnv(service: string) {
  return {
    NATS_URL: env.url(),
    NATS_CLUSTER_ID: env.string(),
    NATS_CLIENT_ID: env.string({ default: () => defaultClientId(service) }),
    /** The service's own NATS user (the server grants it only its subjects); optional locally. */
    NATS_USER: env.string({ default: '' }),
    NATS_PASSWORD: env.string({ default: '' }),
  };
}

/** The bus settings of `runService`, from a config built with `natsEnv`. */
export function natsOptions(config: {
  NATS_URL: string;
  NATS_CLUSTER_ID: string;
  NATS_CLIENT_ID: string;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
}) {
  return {
    url: config.NATS_URL,
    clusterId: config.NATS_CLUSTER_ID,
    clientId: config.NATS_CLIENT_ID,
    ...(config.NATS_USER && { user: config.NATS_USER, password: config.NATS_PASSWORD ?? '' }),
  };
}
