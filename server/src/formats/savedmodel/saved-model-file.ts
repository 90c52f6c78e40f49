import { join } from "node:path";
import {
  decodeMessage,
  type MetaGraphDef,
  type SavedModel,
  parseTextMessage,
} from "@servable/protocol";
import { readRegularFile } from "../version-files";

/**
 * A SavedModel's `saved_model.pb` (binary), or `saved_model.pbtxt` (text format) when
 * there is no .pb, as TensorFlow's reader (cc/saved_model/reader.cc) looks for them.
 */
export const SAVED_MODEL_PB = "saved_model.pb";
export const SAVED_MODEL_PBTXT = "saved_model.pbtxt";

export class SavedModelFileError extends Error {}

export async function readSavedModel(dir: string): Promise<SavedModel> {
  const binary = await readRegularFile(join(dir, SAVED_MODEL_PB)).catch(notFoundAsUndefined);
  if (binary) {
    try {
      return decodeMessage("SavedModel", binary);
    } catch (error) {
      throw new SavedModelFileError(
        `${SAVED_MODEL_PB} does not parse: ${(error as Error).message}`,
      );
    }
  }
  const text = await readRegularFile(join(dir, SAVED_MODEL_PBTXT), "utf8").catch(
    notFoundAsUndefined,
  );
  if (text === undefined) {
    throw new SavedModelFileError(`neither ${SAVED_MODEL_PB} nor ${SAVED_MODEL_PBTXT} is there`);
  }
  try {
    return parseTextMessage("SavedModel", text);
  } catch (error) {
    throw new SavedModelFileError(
      `${SAVED_MODEL_PBTXT} does not parse: ${(error as Error).message}`,
    );
  }
}

function notFoundAsUndefined(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

/** The MetaGraph whose tag set equals `tags` (TensorFlow's FindMetaGraphDef). */
export function metaGraphWithTags(model: SavedModel, tags: readonly string[]): MetaGraphDef {
  const wanted = new Set(tags);
  const found = (model.meta_graphs ?? []).find((m) => {
    const have = new Set(m.meta_info_def?.tags ?? []);
    return have.size === wanted.size && [...wanted].every((t) => have.has(t));
  });
  if (!found) {
    const available = (model.meta_graphs ?? [])
      .map((m) => `{ ${(m.meta_info_def?.tags ?? []).join(" ")} }`)
      .join(", ");
    throw new SavedModelFileError(
      `Could not find meta graph def matching supplied tags: { ${tags.join(" ")} }. The SavedModel has: ${available || "no meta graphs"}`,
    );
  }
  return found;
}
