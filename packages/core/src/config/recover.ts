import { isPlainObject } from "./interpolate";
import type { FieldPath } from "./source-document";
import type { PendingProblem } from "./zod-problems";

/** A misspelt key read as the key it most likely meant (`tagets` as `targets`). */
interface Rename {
  parent: FieldPath;
  written: string;
  meant: string;
}

/**
 * Reads misspelt keys as the keys they most likely meant, so one typo does not hide
 * the problems of the section it names: with `tagets:` the targets' adapters and the
 * routes to them are still checked. The typo itself stays reported.
 */
export function recoverFromTypos(
  value: unknown,
  schemaProblems: readonly PendingProblem[],
): {
  value: unknown;
  /** Maps a path in the recovered value back to where it is written in the file. */
  toWritten: (path: FieldPath) => FieldPath;
} {
  const renames: Rename[] = schemaProblems.flatMap((problem) =>
    problem.meant === undefined
      ? []
      : [{ parent: problem.path.slice(0, -1), written: String(problem.path.at(-1)), meant: problem.meant }],
  );
  let recovered = value;
  for (const rename of renames) recovered = renamed(recovered, rename.parent, rename.written, rename.meant);
  const toWritten = (path: FieldPath): FieldPath => {
    for (const rename of renames) {
      const depth = rename.parent.length;
      if (
        path.length > depth &&
        samePath(rename.parent, path.slice(0, depth)) &&
        path[depth] === rename.meant
      ) {
        return [...path.slice(0, depth), rename.written, ...path.slice(depth + 1)];
      }
    }
    return path;
  };
  return { value: recovered, toWritten };
}

function renamed(root: unknown, parent: FieldPath, written: string, meant: string): unknown {
  const [head, ...rest] = parent;
  if (head === undefined) {
    if (!isPlainObject(root) || !(written in root) || meant in root) return root;
    const { [written]: moved, ...others } = root;
    return { ...others, [meant]: moved };
  }
  if (Array.isArray(root) && typeof head === "number") {
    const copy = [...root];
    copy[head] = renamed(root[head], rest, written, meant);
    return copy;
  }
  if (isPlainObject(root) && typeof head !== "symbol") {
    return { ...root, [String(head)]: renamed(root[String(head)], rest, written, meant) };
  }
  return root;
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}
