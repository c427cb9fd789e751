export interface StackOptions {
  apiOnly?: boolean;
  /** 0 picks a free port; default 8080. */
  gatewayPort?: number;
  /** Passed to every service (ORDER_EXPIRATION_SECONDS, LOG_LEVEL, ...). */
  env?: Record<string, string>;
  runDir?: string;
  log?: (line: string) => void;
  /** Run the services and the web app from their podman images (npm run images). */
  images?: boolean;
  /** Restart a service that exits unasked, as Kubernetes would (default true). */
  restartOnCrash?: boolean;
  /** How long `stop()` lets each process shut down after SIGTERM before SIGKILL (default 5000). */
  stopGraceMs?: number;
}

export interface ProcessHandle {
  name: string;
  logFile: string;
  readonly running: boolean;
  /** The exit code, or the signal that ended it; undefined while it runs. */
  readonly exitCode: number | string | undefined;
  exited: Promise<number | string>;
  readonly pid: number;
  paused: boolean;
  restartOnCrash: boolean;
  crashes: { at: Date; code: number | string }[];
  kill(signal?: NodeJS.Signals): boolean;
  pause(): boolean;
  resume(): boolean;
  restart(opts?: { graceMs?: number }): Promise<ProcessHandle>;
  child: { pid?: number };
  stop(graceMs?: number): Promise<number | string | undefined>;
}

export interface RunningStack {
  url: string;
  ports: Record<string, unknown>;
  /** Each service's NATS user and password (the server grants each only its own subjects). */
  natsUsers: Record<string, { user: string; password: string }>;
  /** Each service's Prometheus /metrics port. */
  metricsPorts: Record<string, number>;
  logDir: string;
  /** From the call to every /readyz answering. */
  seconds: number;
  handles: ProcessHandle[];
  /**
   * The gateway, then every service and the client at once, then every backing server at
   * once: SIGTERM, SIGKILL after `stopGraceMs`. Calling it again returns the same stop.
   */
  stop(): Promise<void>;
}

export function startStack(opts?: StackOptions): Promise<RunningStack>;

/** The service settings (ORDER_EXPIRATION_SECONDS, LOG_LEVEL…) that are set in `from`. */
export function passThroughEnv(from?: NodeJS.ProcessEnv): Record<string, string>;
