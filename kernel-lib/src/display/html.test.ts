import assert from "node:assert/strict";
import { test } from "node:test";
import { deployCardHtml } from "./deploy-card";
import { escapeHtml, formatBytes } from "./html";
import { modelsHtml } from "./models-table";
import { classificationsHtml, predictionsHtml } from "./results-table";
import { rolloutCardHtml, rolloutEndedHtml, rolloutSummary } from "./rollout-card";

test("text is escaped wherever it comes from the server or the user", () => {
  assert.equal(
    escapeHtml(`<img src=x onerror="a('b')">&`),
    "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;",
  );
  const card = deployCardHtml({
    name: "m<script>",
    version: 2,
    state: "AVAILABLE",
    url: "http://h/v1/models/m:predict",
    curl: `curl -d '{"instances": [[0.0]]}' -X POST http://h/v1/models/m:predict`,
  });
  assert.doesNotMatch(card, /<script>/);
  assert.match(card, /Deployed m&lt;script&gt;, version 2/);
  assert.match(
    card,
    /<code style="[^"]*">curl -d &#39;\{&quot;instances&quot;: \[\[0\.0\]\]\}&#39;/,
  );
});

test("the deploy card is a grid of its own: no table for JupyterLab to right-align", () => {
  const card = deployCardHtml({
    name: "iris",
    version: 3,
    state: "AVAILABLE",
    label: "canary",
    url: "http://h/v1/models/iris/versions/3:predict",
    curl: "curl -d '{}' -X POST http://h/v1/models/iris/versions/3:predict",
  });
  assert.doesNotMatch(card, /<table|<td/);
  assert.match(card, /display:grid/);
  const fields = [
    ...card.matchAll(/<span style="color:var\(--jp-ui-font-color2[^"]*">(\w+)<\/span>/g),
  ];
  assert.deepEqual(
    fields.map((m) => m[1]),
    ["state", "label", "endpoint"],
  );
  assert.match(card, />AVAILABLE</);
  assert.match(card, />canary</);
});

test("the models table has a row per version with state, labels, size and error", () => {
  const html = modelsHtml([
    {
      name: "iris",
      labels: { stable: "1" },
      model_version_status: [
        {
          version: "2",
          state: "END",
          status: { error_code: "INVALID_ARGUMENT", error_message: "bad <file>" },
          labels: [],
        },
        {
          version: "1",
          state: "AVAILABLE",
          status: { error_code: "OK", error_message: "" },
          labels: ["stable"],
          size_bytes: 12345,
          available_since: "2026-01-01T00:00:00.000Z",
        },
      ],
    },
  ]);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
  assert.match(html, /bad &lt;file&gt;/);
  // END is TF Serving's word for both: the error tells a failed load from an unloaded version.
  assert.match(html, /<span[^>]*#cf222e[^>]*>FAILED<\/span>/);
  assert.match(html, /12\.3 kB/);
  assert.match(html, />stable</);
  assert.equal(modelsHtml([]), "<p>The server serves no models.</p>");
});

test("a version the server let go reads UNLOADED, in grey, without an availability date", () => {
  const html = modelsHtml([
    {
      name: "iris",
      labels: {},
      model_version_status: [
        {
          version: "1",
          state: "END",
          status: { error_code: "OK", error_message: "" },
          labels: [],
          available_since: "2026-01-01T00:00:00.000Z",
        },
      ],
    },
  ]);
  assert.match(html, /<span[^>]*#6e7781[^>]*>UNLOADED<\/span>/);
  assert.doesNotMatch(html, /2026-01-01/);
});

test("predictions and classes show as small tables, long answers cut", () => {
  const many = Array.from({ length: 25 }, (_, i) => [i / 3]);
  const html = predictionsHtml(many);
  assert.equal((html.match(/<tr>/g) ?? []).length, 21);
  assert.match(html, /5 more rows/);
  assert.match(html, /\[0\.333333\]/);
  const named = predictionsHtml([{ a: 1, b: [1, 2] }]);
  assert.match(named, /<th[^>]*>a<\/th><th[^>]*>b<\/th>/);
  const classes = classificationsHtml([
    [
      ["x", 0.2],
      ["y", 0.8],
    ],
  ]);
  assert.match(classes, /<td[^>]*>y<\/td><td[^>]*>0\.8<\/td>/);
});

test("sizes are written in powers of 1000", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(10_500_000), "10.5 MB");
  assert.equal(formatBytes(undefined), "");
});

test("the rollout card: both versions side by side, the agreement, a rolled-back reason", () => {
  const stats = (requests: number, p99: number | null) => ({
    requests,
    requests_per_second: requests / 60,
    errors: 0,
    error_rate: 0,
    p50_ms: 1.25,
    p99_ms: p99,
  });
  const view = {
    name: "iris<b>",
    stable: 2,
    candidate: 3,
    share: 0.1,
    shadow: 1,
    state: "running" as const,
    reason: "",
    guard: null,
    updated_at: "",
    updated_by: "",
    stats: {
      window_seconds: 60,
      stable: stats(1200, 4),
      candidate: stats(130, null),
      shadow: {
        compared: 600,
        agreement: 0.995,
        errors: 0,
        dropped: 2,
        max_abs_diff: 0.0012,
        p50_ms: 1.4,
        p99_ms: 5,
      },
    },
  };
  const card = rolloutCardHtml({ view, footer: "refreshed 10:00:00" });
  assert.doesNotMatch(card, /<table|<b>/);
  assert.match(card, /Rollout of iris&lt;b&gt;/);
  assert.match(card, /stable v2<\/strong><strong>candidate v3<\/strong>/);
  assert.match(card, /share<\/span><span>90 %<\/span><span>10 %<\/span>/);
  assert.match(card, /p99<\/span><span>4\.00 ms<\/span><span>–<\/span>/);
  assert.match(card, /agreement 99\.5 %<\/strong> of 600 compared/);
  assert.equal(
    rolloutSummary(view),
    "iris<b>: candidate v3 takes 10 % of the traffic beside stable v2, 100 % of stable's requests shadowed",
  );

  const rolledBack = rolloutCardHtml({
    view: { ...view, state: "rolled_back", share: 0, shadow: 0, reason: "error_rate: 0.5 > 0.05" },
    footer: "",
  });
  assert.match(rolledBack, /rolled back<\/span>/);
  assert.match(rolledBack, /error_rate: 0\.5 &gt; 0\.05/);
  assert.match(rolledBack, /share<\/span><span>100 %<\/span><span>0 %<\/span>/);
  assert.match(
    rolloutEndedHtml("iris", "promoted: version 3 is stable"),
    /Rollout of iris: promoted: version 3 is stable/,
  );
});
