import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The zod schema of one environment variable. It reads the variable's trimmed text, or
 * undefined when the variable is unset or blank; `.default()` makes it optional. Its input
 * is a string, so a schema that could never read the environment (`z.number()`) does not
 * type-check.
 */
export type EnvVar = z.ZodType<unknown, string | undefined>;
/** A service's variables by name: the shape of a `z.object`, spread together from parts. */
export type ConfigSpec = Record<string, EnvVar>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: z.output<S[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Schemas for what environment variables hold; messages read after the name ("PORT must be …"). */
export const env = {
  string: () => z.string(),
  url: () => z.url({ error: 'must be a URL' }),
  /** Decimal digits only: "1.5", "-1", "1e3" and "ten" are refused. `bounds` checks the number. */
  int: (bounds: z.ZodNumber = z.number()) =>
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(bounds),
  bool: () =>
    z.stringbool({
      truthy: ['true', '1', 'yes'],
      falsy: ['false', '0', 'no'],
      case: 'insensitive',
      error: 'must be true or false',
    }),
};

/** The variables of `names` as the schemas read them: trimmed, and undefined when blank. */
function readVariables(names: string[], source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, source[name]?.trim() || undefined]));
}

/** One line per bad variable, in declaration order, each starting with the variable's name. */
function problemsOf(error: z.ZodError, input: Record<string, string | undefined>): string[] {
  const problems = new Map<string, string>();
  for (const issue of error.issues) {
    const name = String(issue.path[0]);
    if (problems.has(name)) continue;
    problems.set(name, input[name] === undefined ? `${name} is required but not set` : `${name} ${issue.message}`);
  }
  return [...problems.values()];
}

/**
 * Builds the typed config once from the environment. Every problem is collected, so a
 * misconfigured deployment learns all missing variables from one failed start.
 */
export function loadConfig<S extends ConfigSpec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const input = readVariables(Object.keys(spec), source);
  const parsed = z.object(spec).safeParse(input);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error, input));
  return parsed.data as ConfigOf<S>;
}

/** Names a deployment must set: the variables that cannot be absent (no default). */
export function requiredVariables(spec: ConfigSpec): string[] {
  return Object.entries(spec)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
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
const sessionKey = env
  .string()
  .refine((v) => Buffer.byteLength(v) >= 32, {
    error: 'must be at least 32 bytes of random data (e.g. `openssl rand -hex 32`)',
    abort: true,
  })
  .refine((v) => new Set(v).size >= 12, 'looks too regular to be random; use e.g. `openssl rand -hex 32`');

/** Every service: where it listens and how much it logs. */
export const baseEnv = {
  PORT: env.int().default(3000),
  LOG_LEVEL: env.string().default('info'),
  /** Prometheus /metrics on a port of its own (not routed by the ingress); 0 = off. */
  METRICS_PORT: env.int().default(9464),
};

/** Services that read the session cookie. */
export const sessionEnv = {
  JWT_KEY: sessionKey,
  COOKIE_SECURE: env.bool().default(true),
};

export const mongoEnv = {
  MONGO_URI: env.url(),
};

/** Services on the event bus; the client id defaults to host name + random suffix. */
export function natsEnv(service: string) {
  return {
    NATS_URL: env.url(),
    NATS_CLUSTER_ID: env.string(),
    NATS_CLIENT_ID: env.string().default(() => defaultClientId(service)),
    /** The service's own NATS user (the server grants it only its subjects); optional locally. */
    NATS_USER: env.string().default(''),
    NATS_PASSWORD: env.string().default(''),
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

/**
 * What `runService` needs from a loaded config, read in one place: the HTTP and metrics
 * ports, and the database and bus settings when the service declares them (`mongoEnv`,
 * `natsEnv`). A service spreads it into its definition: `runService({ ...runtimeOptions(config), … })`.
 */
export function runtimeOptions(config: {
  PORT: number;
  METRICS_PORT: number;
  MONGO_URI?: string;
  NATS_URL?: string;
  NATS_CLUSTER_ID?: string;
  NATS_CLIENT_ID?: string;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
}) {
  const { NATS_URL, NATS_CLUSTER_ID, NATS_CLIENT_ID } = config;
  return {
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    ...(config.MONGO_URI !== undefined && { mongoUri: config.MONGO_URI }),
    ...(NATS_URL !== undefined &&
      NATS_CLUSTER_ID !== undefined &&
      NATS_CLIENT_ID !== undefined && { nats: natsOptions({ ...config, NATS_URL, NATS_CLUSTER_ID, NATS_CLIENT_ID }) }),
  };
}
