import { compareDecimal } from "./decimal-text";

/**
 * A small expression over a record's fields, for `filter` and `select`:
 *
 *     usdPrice > 100 && (exchangeId == "binance" || exchangeId == "kraken") && !isFinal
 *
 * Comparisons are `== != < <= > >=` of a field with a literal (a number, a quoted string,
 * true, false, null); numbers compare exactly as decimals, strings as text (so ISO times
 * compare in time order). `&&`, `||`, `!` and parentheses combine them; a field alone is true
 * when it is set and not false.
 */
export type Predicate = (record: Record<string, unknown>) => boolean;

type Token = { type: "op" | "field" | "number" | "string" | "word"; text: string; at: number };

const OPERATORS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")"];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const operator = OPERATORS.find((candidate) => source.startsWith(candidate, index));
    if (operator) {
      tokens.push({ type: "op", text: operator, at: index });
      index += operator.length;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = source.indexOf(char, index + 1);
      if (end < 0) throw new SyntaxError(`unterminated string at ${index + 1}`);
      tokens.push({ type: "string", text: source.slice(index + 1, end), at: index });
      index = end + 1;
      continue;
    }
    const number = /^-?\d+(?:\.\d+)?/.exec(source.slice(index));
    if (number) {
      tokens.push({ type: "number", text: number[0], at: index });
      index += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(index));
    if (word) {
      const text = word[0];
      tokens.push({ type: ["true", "false", "null"].includes(text) ? "word" : "field", text, at: index });
      index += text.length;
      continue;
    }
    throw new SyntaxError(`unexpected "${char}" at ${index + 1}`);
  }
  return tokens;
}

/** Compiles an expression; a syntax error names what and where (1-based position). */
export function compileExpression(source: string): Predicate {
  const tokens = tokenize(source);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const expect = (text: string) => {
    const token = next();
    if (token?.text !== text)
      throw new SyntaxError(`expected "${text}" at ${token ? token.at + 1 : "the end"}`);
  };

  const or = (): Predicate => {
    let left = and();
    while (peek()?.text === "||") {
      next();
      const right = and();
      const previous = left;
      left = (record) => previous(record) || right(record);
    }
    return left;
  };
  const and = (): Predicate => {
    let left = not();
    while (peek()?.text === "&&") {
      next();
      const right = not();
      const previous = left;
      left = (record) => previous(record) && right(record);
    }
    return left;
  };
  const not = (): Predicate => {
    if (peek()?.text === "!") {
      next();
      const inner = not();
      return (record) => !inner(record);
    }
    return primary();
  };
  const primary = (): Predicate => {
    const token = next();
    if (!token) throw new SyntaxError("the expression ends too early");
    if (token.text === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (token.type !== "field")
      throw new SyntaxError(`expected a field name at ${token.at + 1}, got "${token.text}"`);
    const field = token.text;
    const operator = peek();
    if (!operator || !["==", "!=", "<", "<=", ">", ">="].includes(operator.text)) {
      return (record) => record[field] !== undefined && record[field] !== null && record[field] !== false;
    }
    next();
    const literal = next();
    if (!literal || literal.type === "op" || literal.type === "field")
      throw new SyntaxError(`expected a value after "${operator.text}" at ${operator.at + 1}`);
    return comparison(field, operator.text, literal);
  };

  const predicate = or();
  if (position < tokens.length) {
    const extra = tokens[position] as Token;
    throw new SyntaxError(`unexpected "${extra.text}" at ${extra.at + 1}`);
  }
  return predicate;
}

function comparison(field: string, operator: string, literal: Token): Predicate {
  const expected: unknown =
    literal.type === "number"
      ? literal.text
      : literal.type === "string"
        ? literal.text
        : literal.text === "null"
          ? null
          : literal.text === "true";
  const numeric = literal.type === "number";
  return (record) => {
    const actual = record[field];
    let order: number;
    if (expected === null || typeof expected === "boolean") {
      const same = expected === null ? actual === null || actual === undefined : actual === expected;
      if (operator === "==") return same;
      if (operator === "!=") return !same;
      return false;
    }
    if (actual === undefined || actual === null) return operator === "!=";
    const text = String(actual);
    if (numeric) {
      if (!/^-?\d+(\.\d+)?$/.test(text)) return operator === "!=";
      order = compareDecimal(text, expected as string);
    } else order = text < (expected as string) ? -1 : text > (expected as string) ? 1 : 0;
    switch (operator) {
      case "==":
        return order === 0;
      case "!=":
        return order !== 0;
      case "<":
        return order < 0;
      case "<=":
        return order <= 0;
      case ">":
        return order > 0;
      default:
        return order >= 0;
    }
  };
}
