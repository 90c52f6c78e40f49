import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveServerUrl } from "./settings";

test("{baseUrl} in the server URL is this Jupyter server's base URL", () => {
  assert.equal(resolveServerUrl("{baseUrl}servable", "/user/ada/"), "/user/ada/servable");
  assert.equal(resolveServerUrl("{baseUrl}servable", "/"), "/servable");
  assert.equal(resolveServerUrl("{baseUrl}proxy/8501", "/hub"), "/hub/proxy/8501");
  assert.equal(resolveServerUrl("http://localhost:8501", "/user/ada/"), "http://localhost:8501");
});
