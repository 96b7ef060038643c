/** METRICS_PORT: the worker host serves Prometheus metrics on 127.0.0.1 at this port. Read apart from the worker settings: the host alone uses it. */
import { InvalidSettingError } from '../errors/invalid-setting.error.js';

/** The port, or undefined when METRICS_PORT is unset or empty. A bad value is a one-line error before anything starts. */
export function metricsPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.METRICS_PORT;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new InvalidSettingError('METRICS_PORT', raw, 'is not a port number (1-65535, or 0 for any free port)');
  const port = Number(raw.trim());
  if (port > 65535) throw new InvalidSettingError('METRICS_PORT', raw, 'is not a port number (1-65535, or 0 for any free port)');
  return port;
}
