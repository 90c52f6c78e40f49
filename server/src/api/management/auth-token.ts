import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { FlagError } from "../../config/flags";

/**
 * The management API's token: the first line of --auth_token_file, else the
 * SERVABLE_TOKEN environment variable, else one generated now (and then written to the
 * runtime file for local clients, see runtime/runtime-file.ts).
 */
export interface ServerToken {
  readonly value: string;
  readonly source: "file" | "environment" | "generated";
}

export async function resolveToken(
  tokenFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerToken> {
  if (tokenFile) {
    let text: string;
    try {
      text = await readFile(tokenFile, "utf8");
    } catch (error) {
      throw new FlagError(`--auth_token_file ${tokenFile}: ${(error as Error).message}`);
    }
    const value = text.split(/\r?\n/, 1)[0]!.trim();
    if (!value) throw new FlagError(`--auth_token_file ${tokenFile} has an empty first line`);
    return { value, source: "file" };
  }
  const fromEnv = env.SERVABLE_TOKEN?.trim();
  if (fromEnv) return { value: fromEnv, source: "environment" };
  return { value: randomBytes(24).toString("base64url"), source: "generated" };
}
