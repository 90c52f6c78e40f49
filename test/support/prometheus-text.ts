import { getJson } from "./server-process";

/** A sample's value for the labels given, from Prometheus text; undefined when absent. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

/** The server's Prometheus text (default path). */
export const metricsText = async (url: string): Promise<string> =>
  (await getJson(`${url}/monitoring/prometheus/metrics`)).text;
