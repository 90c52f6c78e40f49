import { parseServingConfig } from "@servable/protocol";

/** TF Serving's default Prometheus path (PrometheusExporter::kPrometheusPath). */
export const DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics";

/**
 * Where Prometheus metrics are served, from a `--monitoring_config_file`
 * (`prometheus_config { enable: true path: "/metrics" }`). Without a file Servable serves
 * them at TF Serving's default path (TF Serving serves none without the file).
 */
export function prometheusPath(configText: string | undefined): string | undefined {
  if (configText === undefined) return DEFAULT_PROMETHEUS_PATH;
  const config = parseServingConfig("MonitoringConfig", configText) as {
    prometheus_config?: { enable?: boolean; path?: string };
  };
  if (!config.prometheus_config?.enable) return undefined;
  return config.prometheus_config.path || DEFAULT_PROMETHEUS_PATH;
}
