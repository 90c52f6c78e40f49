import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { badModel } from "@servable/protocol";
import type { LoadContext, LoadedModel, ModelFormat } from "../formats/model-format";
import { ConstantServable } from "./test-loaders";

/**
 * A model format for unit tests of the parts above the loaders (ServerCore, sources): a
 * version directory holding `value.txt` is a model that answers with that number. A
 * value.txt that is not a number fails to load, as a corrupt model does. Loads in
 * microseconds, so lifecycle tests need no ML runtime.
 */
export const VALUE_FILE = "value.txt";

export const testFormat: ModelFormat = {
  name: "test",
  detect: (files) => files.includes(VALUE_FILE),
  async load(dir: string, _context: LoadContext): Promise<LoadedModel> {
    const text = (await readFile(join(dir, VALUE_FILE), "utf8")).trim();
    const value = Number(text);
    if (text === "" || Number.isNaN(value)) {
      throw badModel(`${VALUE_FILE} in ${dir} holds no number: ${JSON.stringify(text)}`);
    }
    return { servable: new ConstantServable(value), unload: async () => undefined };
  },
};
