import assert from "node:assert/strict";
import { test } from "node:test";
import {
  histogramQuantile,
  parseSamples,
  readScrape,
  REQUEST_COUNT,
  trafficBetween,
  versionKey,
} from "./metrics";

const exposition = (requests: Record<string, number>, buckets: Record<string, number[]>) => {
  const lines = [
    `# HELP ${REQUEST_COUNT} The total number of requests.`,
    `# TYPE ${REQUEST_COUNT} counter`,
  ];
  for (const [key, n] of Object.entries(requests)) {
    const [model, version, status] = key.split("/");
    lines.push(
      `${REQUEST_COUNT}{model_name="${model}",version="${version}",status="${status}"} ${n}`,
    );
  }
  lines.push("# TYPE :tensorflow:serving:request_latency histogram");
  const bounds = ["100", "1000", "10000", "+Inf"];
  for (const [key, counts] of Object.entries(buckets)) {
    const [model, version, api] = key.split("/");
    counts.forEach((count, i) =>
      lines.push(
        `:tensorflow:serving:request_latency_bucket{model_name="${model}",version="${version}",API="${api}",entrypoint="REST",le="${bounds[i]}"} ${count}`,
      ),
    );
  }
  return lines.join("\n") + "\n";
};

test("sample lines: names filtered, labels unescaped, +Inf read", () => {
  const text = [
    "# HELP m a metric",
    'm{a="x\\"y",b="back\\\\slash",le="+Inf"} 3',
    "other 1",
    "m 2.5 1700000000000",
  ].join("\n");
  assert.deepEqual(parseSamples(text, new Set(["m"])), [
    { name: "m", labels: { a: 'x"y', b: "back\\slash", le: "+Inf" }, value: 3 },
    { name: "m", labels: {}, value: 2.5 },
  ]);
});

test("a scrape sums a version's requests over statuses and its buckets over APIs", () => {
  const scrape = readScrape(
    exposition(
      { "iris/1/OK": 7, "iris/1/INVALID_ARGUMENT": 2, "iris/2/OK": 1 },
      { "iris/1/predict": [1, 5, 7, 7], "iris/1/classify": [0, 1, 1, 1] },
    ),
    1000,
  );
  const v1 = scrape.versions.get(versionKey("iris", "1"))!;
  assert.equal(v1.requests, 9);
  assert.deepEqual(
    [...v1.buckets],
    [
      [100, 1],
      [1000, 6],
      [10000, 8],
      [Infinity, 8],
    ],
  );
  assert.equal(scrape.versions.get(versionKey("iris", "2"))!.requests, 1);
});

test("traffic between two scrapes: requests per second and the interval's p50 in ms", () => {
  const before = readScrape(exposition({ "m/1/OK": 10 }, { "m/1/predict": [0, 10, 10, 10] }), 0);
  // 20 more requests in 2 s, all between 1 ms and 10 ms.
  const after = readScrape(exposition({ "m/1/OK": 30 }, { "m/1/predict": [0, 10, 30, 30] }), 2000);
  const point = trafficBetween(before, after).get(versionKey("m", "1"))!;
  assert.equal(point.requestsPerSecond, 10);
  assert.equal(point.p50Ms, 5.5); // halfway into the (1000, 10000] µs bucket
  assert.equal(point.at, 2000);
});

test("a counter that went down means the server restarted: counted from zero", () => {
  const before = readScrape(exposition({ "m/1/OK": 100 }, {}), 0);
  const after = readScrape(exposition({ "m/1/OK": 4 }, {}), 1000);
  const point = trafficBetween(before, after).get(versionKey("m", "1"))!;
  assert.equal(point.requestsPerSecond, 4);
  assert.equal(point.p50Ms, null);
});

test("no request in the interval: zero per second and no latency", () => {
  const text = exposition({ "m/1/OK": 5 }, { "m/1/predict": [5, 5, 5, 5] });
  const point = trafficBetween(readScrape(text, 0), readScrape(text, 1000)).get(
    versionKey("m", "1"),
  )!;
  assert.equal(point.requestsPerSecond, 0);
  assert.equal(point.p50Ms, null);
});

test("histogram quantile as Prometheus computes it", () => {
  const buckets = new Map([
    [1, 10],
    [2, 20],
    [4, 40],
    [Infinity, 40],
  ]);
  assert.equal(histogramQuantile(0.5, buckets), 2);
  assert.equal(histogramQuantile(0.25, buckets), 1);
  assert.equal(histogramQuantile(0.75, buckets), 3);
  // Falls in +Inf: the highest finite bound.
  assert.equal(
    histogramQuantile(
      0.5,
      new Map([
        [10, 0],
        [Infinity, 4],
      ]),
    ),
    10,
  );
  assert.equal(
    histogramQuantile(
      0.5,
      new Map([
        [10, 0],
        [Infinity, 0],
      ]),
    ),
    null,
  );
  assert.equal(histogramQuantile(0.5, new Map()), null);
});
