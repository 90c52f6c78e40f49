import { openAsBlob } from "node:fs";
import { join } from "node:path";
import type { VersionChangeResponse } from "@servable/protocol";
import { request } from "./request";
import type { ServerAddress } from "./server-address";

export interface UploadOptions {
  /** The version number to create (default: the server picks the next one). */
  readonly version?: number;
  /** Called as bytes leave (multipart framing included, so it may pass `totalBytes` a little). */
  readonly onProgress?: (sentBytes: number) => void;
}

/**
 * Uploads a version folder's files as one multipart/form-data request, one part per
 * file named by its relative path (POST /v1/models/{name}/versions). Files stream from
 * disk: a large model is never held in memory.
 */
export async function uploadVersion(
  server: ServerAddress,
  name: string,
  dir: string,
  files: readonly string[],
  options: UploadOptions = {},
): Promise<VersionChangeResponse> {
  const form = new FormData();
  for (const path of files) form.append(path, await openAsBlob(join(dir, path)), path);
  // A Request encodes the form lazily: its body streams the files as they are sent.
  const encoded = new Request("http://multipart.invalid/", { method: "POST", body: form });
  let sent = 0;
  const counted = encoded.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        options.onProgress?.(sent);
        controller.enqueue(chunk);
      },
    }),
  );
  const query = options.version === undefined ? "" : `?version=${options.version}`;
  return request<VersionChangeResponse>(
    server,
    `v1/models/${encodeURIComponent(name)}/versions${query}`,
    {
      method: "POST",
      stream: { body: counted, contentType: encoded.headers.get("content-type")! },
      timeoutMs: 0,
    },
  );
}
