import React from "react";
import type { TrafficPoint } from "../tokens";
import { formatMs, formatRate } from "./format";

const WIDTH = 120;
const HEIGHT = 28;

/**
 * A version's live traffic: requests/s (filled) and p50 latency (line) over the last
 * points, drawn in SVG with the theme's CSS variables so it follows light and dark themes.
 * (Two polylines: a charting library would add weight without adding anything here.)
 */
export function Sparkline(props: { points: readonly TrafficPoint[]; label: string }) {
  const { points } = props;
  const last = points[points.length - 1];
  const rates = points.map((p) => p.requestsPerSecond);
  const latencies = points.map((p) => p.p50Ms);
  return (
    <div className="jp-Servable-traffic" aria-label={`Traffic of ${props.label}`}>
      <svg
        className="jp-Servable-sparkline"
        width={WIDTH}
        height={HEIGHT}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-hidden="true"
      >
        <line
          className="jp-Servable-sparkline-axis"
          x1={0}
          y1={HEIGHT - 0.5}
          x2={WIDTH}
          y2={HEIGHT - 0.5}
        />
        <path className="jp-Servable-sparkline-rate" d={areaPath(rates)} />
        <path className="jp-Servable-sparkline-latency" d={linePath(latencies)} />
      </svg>
      <span className="jp-Servable-traffic-values">
        <span className="jp-Servable-rps" title="Requests per second">
          {last ? formatRate(last.requestsPerSecond) : "–"} req/s
        </span>
        <span className="jp-Servable-p50" title="Median latency (p50)">
          p50 {last ? formatMs(last.p50Ms) : "–"}
        </span>
      </span>
    </div>
  );
}

function scale(values: readonly (number | null)[]): (v: number) => number {
  const max = Math.max(1e-9, ...values.filter((v): v is number => v !== null));
  return (v) => HEIGHT - 1 - (v / max) * (HEIGHT - 3);
}

function x(i: number, n: number): number {
  return n <= 1 ? WIDTH : (i / (n - 1)) * WIDTH;
}

function areaPath(values: readonly number[]): string {
  if (values.length === 0) return "";
  const y = scale(values);
  const line = values.map((v, i) => `L${x(i, values.length).toFixed(1)},${y(v).toFixed(1)}`);
  return `M0,${HEIGHT} ${line.join(" ")} L${WIDTH},${HEIGHT} Z`;
}

function linePath(values: readonly (number | null)[]): string {
  const y = scale(values);
  let path = "";
  let pen = "M";
  values.forEach((v, i) => {
    if (v === null) {
      pen = "M";
      return;
    }
    path += `${pen}${x(i, values.length).toFixed(1)},${y(v).toFixed(1)} `;
    pen = "L";
  });
  return path.trim();
}
