import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/** A path into a config value: object keys and array indexes. */
export type FieldPath = readonly PropertyKey[];

/** A 1-based line and column in the source text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Parsed config text that still knows where each of its values was written. */
export interface SourceDocument {
  value: unknown;
  /**
   * Where the field at `path` is written: its key when `key` is set (unknown-key
   * problems), else its value. A missing field maps to its nearest existing parent.
   */
  locate(path: FieldPath, options?: { key?: boolean }): TextPosition | undefined;
  /** True when the value at `path` is an unquoted YAML scalar, so an interpolated number may become a number. */
  isPlainScalar(path: FieldPath): boolean;
}

export type TextFormat = "yaml" | "json";

export type ParseOutcome =
  | { ok: true; document: SourceDocument }
  | { ok: false; problems: { message: string; position: TextPosition }[] };

/**
 * Parses YAML (or JSON, which YAML 1.2 reads too) keeping source ranges, so every
 * later problem can name a line and column. Syntax errors come back all at once.
 */
export function parseSourceText(text: string, format: TextFormat): ParseOutcome {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const positionOf = (offset: number): TextPosition => {
    const { line, col } = lineCounter.linePos(offset);
    // linePos reports line 0 before the first newline it has seen (one-line texts).
    return line === 0 ? { line: 1, column: offset + 1 } : { line, column: col };
  };
  const language = format === "json" ? "JSON" : "YAML";
  if (document.errors.length > 0) {
    // After the first unexpected token the parser reports one for nearly every token
    // that follows; those echoes would bury the real mistake.
    const errors = document.errors.filter((error, index) => index === 0 || error.code !== "UNEXPECTED_TOKEN");
    return {
      ok: false,
      problems: errors.map((error) => {
        const position = positionOf(error.pos[0]);
        const line = text.split(/\r?\n/)[position.line - 1] ?? "";
        return { message: `not valid ${language}: ${firstLine(error.message)}${flowHint(line)}`, position };
      }),
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (thrown) {
    return {
      ok: false,
      problems: [{ message: `not valid ${language}: ${(thrown as Error).message}`, position: positionOf(0) }],
    };
  }
  return {
    ok: true,
    document: {
      value,
      locate(path, options = {}) {
        const found = walk(document, path);
        const node = options.key && found.complete ? (found.keyNode ?? found.node) : found.node;
        const offset = node?.range?.[0] ?? found.keyNode?.range?.[0];
        return offset === undefined ? positionOf(0) : positionOf(offset);
      },
      isPlainScalar(path) {
        const found = walk(document, path);
        return found.complete && isScalar(found.node) && found.node.type === "PLAIN";
      },
    },
  };
}

interface WalkResult {
  /** The deepest node reached. */
  node: Node | undefined;
  /** The key of that node, when it is a map value. */
  keyNode: Node | undefined;
  /** Whether every segment of the path was found. */
  complete: boolean;
}

function walk(document: Document, path: FieldPath): WalkResult {
  let node = resolve(document, document.contents ?? undefined);
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return { node, keyNode, complete: false };
      keyNode = pair.key as Node;
      // `key:` with nothing after it has no value node; the key stands for it.
      node = resolve(document, (pair.value as Node | null) ?? undefined) ?? keyNode;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return { node, keyNode, complete: false };
      keyNode = undefined;
      node = resolve(document, item);
    } else {
      return { node, keyNode, complete: false };
    }
  }
  return { node, keyNode, complete: true };
}

function resolve(document: Document, node: Node | undefined): Node | undefined {
  if (isAlias(node)) return (node.resolve(document) as Node | undefined) ?? node;
  return node;
}

// `{ key: ${VAR} }` is a YAML error: inside { } and [ ] the braces of ${...} need quotes.
function flowHint(line: string): string {
  const unquoted = line.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, "");
  return /[{[].*\$\{/.test(unquoted) ? ' (inside { } or [ ], quote a value holding ${...}: "${VAR}")' : "";
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.trim() ?? message;
}
