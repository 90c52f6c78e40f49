import { createHash } from "node:crypto";

/**
 * Which side of a rollout's split one request falls on. Without a routing key it is a
 * weighted coin (`random() < share`). With one it is a pure function of the model, the key
 * and the share: the key hashes to a point in [0, 1) and the candidate answers when the
 * point is below the share. So one key always lands on one version for a given share,
 * every server on a repository makes the same choice, and raising the share only moves
 * keys from stable to the candidate, never back.
 */
export function goesToCandidate(
  model: string,
  routingKey: string | undefined,
  share: number,
  random: () => number = Math.random,
): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  const point = routingKey === undefined ? random() : keyPoint(model, routingKey);
  return point < share;
}

/** SHA-256 of model and key (a NUL between: no pair of other strings hashes alike), as 48 bits in [0, 1). */
export function keyPoint(model: string, routingKey: string): number {
  const digest = createHash("sha256").update(model).update("\u0000").update(routingKey).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
