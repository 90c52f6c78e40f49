import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { badModel, ServingError } from "@servable/protocol";
import type { Loader, ResourceEstimate } from "../core/loader";
import type { Servable } from "../core/servable";
import type { ServableId } from "../core/servable-id";
import type { SourceAdapter } from "../core/source-adapter";
import { ConstantServable } from "./test-loaders";

/**
 * A SourceAdapter for unit tests of the parts above the loaders (ServerCore, sources):
 * a version directory holding `value.txt` is a model that answers with that number. A
 * value.txt that is not a number fails to load for good, as a corrupt model does; one
 * that says `unavailable` fails as a busy disk does (transiently). Loads in
 * microseconds, so lifecycle tests need no ML runtime and no format.
 */
export const VALUE_FILE = "value.txt";

export const testAdapter: SourceAdapter = {
  loaderFor: (_id: ServableId, dir: string): Loader => new ValueFileLoader(dir),
};

class ValueFileLoader implements Loader {
  constructor(private readonly dir: string) {}

  async estimateResources(): Promise<ResourceEstimate> {
    return { ramBytes: 1 };
  }

  async load(): Promise<Servable> {
    const text = (await readFile(join(this.dir, VALUE_FILE), "utf8")).trim();
    if (text === "unavailable") {
      throw new ServingError("UNAVAILABLE", `${VALUE_FILE} in ${this.dir} cannot be read now`);
    }
    const value = Number(text);
    if (text === "" || Number.isNaN(value)) {
      throw badModel(`${VALUE_FILE} in ${this.dir} holds no number: ${JSON.stringify(text)}`);
    }
    return new ConstantServable(value);
  }

  async unload(): Promise<void> {}
}
