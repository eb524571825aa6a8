// The proxy's own settings, as one typed table: it generates the command-line flags
// (`http_port` → `--http-port`), names the `[vaurien]` keys of the config file, and holds the
// defaults of the original Vaurien.
import { MAX_TIMER_SECONDS, type OptionTable } from '../contract/options.js';
import { LOG_LEVELS } from '../log.js';

export type CoreOptions = {
  proxy: string;
  backend: string;
  protocol: string;
  behavior: string;
  tls_cert: string;
  tls_key: string;
  backend_tls: boolean;
  backend_tls_ca: string;
  backend_tls_insecure: boolean;
  http: boolean;
  http_host: string;
  http_port: number;
  http_token: string;
  http_cors: string;
  stay_connected: boolean;
  timeout: number;
  backlog: number;
  pool_max_size: number;
  pool_timeout: number;
  log_level: string;
  log_output: string;
  grace: number;
  seed: number;
  workers: number;
  fault_log: string;
  fault_log_all: boolean;
};

/** `seed`'s default: no seed given, one is drawn at random and printed. */
export const RANDOM_SEED = -1;

export const coreOptions: OptionTable<CoreOptions> = {
  proxy: { type: 'string', default: 'localhost:8000', description: 'Address to listen on (HOST:PORT, [IPv6]:PORT)' },
  backend: { type: 'string', default: 'localhost:80', description: 'Address to forward to (HOST:PORT)' },
  protocol: { type: 'string', default: 'tcp', description: 'Protocol: a built-in name or a plugin (./file.js, package#export)' },
  behavior: { type: 'string', default: '100:dummy', description: 'Weighted behaviors, PERCENT:NAME[,PERCENT:NAME...]; the rest is dummy' },
  tls_cert: { type: 'string', default: '', description: 'PEM certificate (chain) to accept TLS from clients with; needs --tls-key' },
  tls_key: { type: 'string', default: '', description: 'PEM private key of --tls-cert' },
  backend_tls: { type: 'bool', default: false, description: 'Connect to the backend with TLS (SNI from its host name)' },
  backend_tls_ca: { type: 'string', default: '', description: "PEM CA certificate(s) the backend's certificate must chain to (default: Node's CAs)" },
  backend_tls_insecure: { type: 'bool', default: false, description: "Accept any backend certificate (no check of CA or name)" },
  http: { type: 'bool', default: false, description: 'Start the control API' },
  http_host: { type: 'string', default: 'localhost', description: 'Host of the control API' },
  http_port: { type: 'int', default: 8080, description: 'Port of the control API', max: 65535 },
  http_token: { type: 'string', default: '', description: 'Bearer token the control API requires (or VAURIEN_HTTP_TOKEN)' },
  http_cors: { type: 'string', default: '', description: 'Web origins whose pages may call the control API (e.g. http://localhost:3000; comma-separated; * for any)' },
  stay_connected: { type: 'bool', default: false, description: 'Never close a connection for being idle' },
  timeout: { type: 'float', default: 30, description: 'Backend connect timeout and idle timeout, in seconds', min: 0.001, max: MAX_TIMER_SECONDS },
  backlog: { type: 'int', default: 8192, description: 'Listen backlog', min: 1 },
  pool_max_size: { type: 'int', default: 100, description: 'Most idle backend connections kept for reuse (with reuse_socket)', min: 1 },
  pool_timeout: { type: 'float', default: 30, description: 'How long an idle pooled backend connection is kept, in seconds', min: 0.001, max: MAX_TIMER_SECONDS },
  log_level: { type: 'string', default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}` },
  log_output: { type: 'string', default: '-', description: 'Log file, or - for stderr' },
  grace: { type: 'float', default: 5, description: 'On SIGINT/SIGTERM, seconds open exchanges may take to finish', max: MAX_TIMER_SECONDS },
  seed: { type: 'int', default: RANDOM_SEED, description: 'Seed of the behavior selection (printed at start; replays a run)', max: 0xffffffff },
  workers: {
    type: 'int',
    default: 1,
    description: 'Worker processes serving --proxy (node:cluster; a primary process keeps the control API); more than 1 pays on spare cores or past one process\'s open-file limit',
    min: 1,
    max: 64,
  },
  fault_log: { type: 'string', default: '', description: 'Fault log: one JSON line per exchange given a behavior other than dummy, appended to this file (- for stdout)' },
  fault_log_all: { type: 'bool', default: false, description: 'With --fault-log (and GET /events): a line for every exchange, dummy ones too' },
};
