import type { Loader } from "../core/loader";
import type { ServableId } from "../core/servable-id";
import type { SourceAdapter } from "../core/source-adapter";
import { VersionDirectoryLoader, type VersionLoadOptions } from "./version-loader";

/**
 * The server's SourceAdapter: every version directory the source finds becomes a
 * VersionDirectoryLoader with the server's formats and execution options.
 */
export class VersionDirectoryAdapter implements SourceAdapter {
  constructor(private readonly options: VersionLoadOptions) {}

  loaderFor(id: ServableId, storagePath: string): Loader {
    return new VersionDirectoryLoader(id, storagePath, this.options);
  }
}
