import { parseTextFormat, TextFields } from "./text-format";

/** TF Serving's default Prometheus path (PrometheusExporter::kPrometheusPath). */
export const DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics";

/**
 * Where Prometheus metrics are served, from a `--monitoring_config_file`
 * (`prometheus_config { enable: true path: "/metrics" }`). Without a file Servable serves
 * them at TF Serving's default path (TF Serving serves none without the file).
 */
export function prometheusPath(configText: string | undefined): string | undefined {
  if (configText === undefined) return DEFAULT_PROMETHEUS_PATH;
  const root = new TextFields(parseTextFormat(configText), "MonitoringConfig");
  root.allowOnly(["prometheus_config"]);
  const prometheus = root.message("prometheus_config");
  if (!prometheus?.boolean("enable")) return undefined;
  return prometheus.string("path") || DEFAULT_PROMETHEUS_PATH;
}
