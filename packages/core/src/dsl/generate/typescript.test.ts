import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { RECORD_KINDS } from "../kinds";
import { generateTypeDeclarations, recordTypeName } from "./typescript";

const recordsModule = fileURLToPath(new URL("../records.ts", import.meta.url));

/**
 * Compiles the declarations next to a file that assigns each generated interface to the
 * zod output type of its schema and back; returns the compiler's complaints.
 */
function typeCheck(declarations: string): string[] {
  const directory = mkdtempSync(join(tmpdir(), "qicore-types-"));
  try {
    writeFileSync(join(directory, "records.d.ts"), declarations);
    const imports = RECORD_KINDS.map((kind) => recordTypeName(kind));
    const checks = imports.map(
      (name) =>
        `export const ${name}ToZod = (value: Generated.${name}): Zod.${name} => value;\n` +
        `export const ${name}FromZod = (value: Zod.${name}): Generated.${name} => value;`,
    );
    writeFileSync(
      join(directory, "check.ts"),
      [
        'import type * as Generated from "./records";',
        `import type * as Zod from ${JSON.stringify(recordsModule.replace(/\.ts$/, ""))};`,
        ...checks,
      ].join("\n"),
    );
    const program = ts.createProgram([join(directory, "check.ts")], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("TypeScript declarations", () => {
  it("match the committed snapshot", async () => {
    await expect(generateTypeDeclarations()).toMatchFileSnapshot("./__snapshots__/records.d.ts.snap");
  });

  it("are the zod schemas' output types, both ways", () => {
    expect(typeCheck(generateTypeDeclarations())).toEqual([]);
  });

  it("fail the check when a field's type drifts from the schema", () => {
    const drifted = generateTypeDeclarations().replace("usdPrice: string;", "usdPrice: number;");
    expect(drifted).not.toBe(generateTypeDeclarations());
    expect(typeCheck(drifted).join("\n")).toContain("usdPrice");
  });

  it("mark optional and nullable fields as the schemas do", () => {
    const text = generateTypeDeclarations();
    expect(text).toContain("  btcPrice?: string | null;");
    expect(text).toContain("  exchangeId: string;");
    expect(text).toContain("  isFinal: boolean;");
    expect(text).toContain("  activeCryptocurrencies: number;");
    expect(text).toContain('export type RecordKind = "price" | "ohlcv" | "analytics" | "trade" | "quote";');
    expect(text).toContain('  side?: "buy" | "sell" | null;');
    expect(text).toContain("  coinId?: string;");
  });
});
