import { PermanentError, step, type StepContext } from "../../../src/index.js";

/** One plain-text document: the pipeline's run input. */
export interface DocumentInput {
  name: string;
  text: string;
}

export interface SanitizedDocument {
  name: string;
  text: string;
  bytesIn: number;
  bytesOut: number;
  lines: number;
  removed: { controlChars: number; formatChars: number };
}

/**
 * NFC first, so "e" + combining accent and "é" become the same code point before anything
 * downstream hashes or compares words. Format characters (BOM, zero-width space, soft hyphen)
 * are invisible in an editor but split words, which is why they go along with control chars.
 */
export function sanitizeText(raw: string): {
  text: string;
  controlChars: number;
  formatChars: number;
} {
  let controlChars = 0;
  let formatChars = 0;
  const cleaned = raw
    .normalize("NFC")
    .replace(/\r\n?/g, "\n")
    .replace(/[\f\v]/g, "\n")
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g, () => {
      controlChars++;
      return "";
    })
    .replace(/\p{Cf}/gu, () => {
      formatChars++;
      return "";
    })
    // Tabs and exotic spaces (NBSP, thin space) collapse to one ordinary space.
    .replace(/[\t\p{Zs}]+/gu, " ")
    .replace(/[\u2028\u2029]/g, "\n")
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { text: cleaned, controlChars, formatChars };
}

export function sanitizeDocument(input: DocumentInput): SanitizedDocument {
  const { text, controlChars, formatChars } = sanitizeText(input.text);
  return {
    name: input.name.normalize("NFC").trim(),
    text,
    bytesIn: Buffer.byteLength(input.text),
    bytesOut: Buffer.byteLength(text),
    lines: text === "" ? 0 : text.split("\n").length,
    removed: { controlChars, formatChars },
  };
}

export const sanitization = step(
  "sanitization",
  (ctx: StepContext, input: DocumentInput): SanitizedDocument => {
    // Bad input will be bad on every retry too: fail permanently instead of burning attempts.
    if (typeof input?.name !== "string" || typeof input.text !== "string") {
      throw new PermanentError("input must be { name: string, text: string }", "invalid_document");
    }
    ctx.progress(Buffer.byteLength(input.text));
    const doc = sanitizeDocument(input);
    if (doc.text === "")
      throw new PermanentError(
        `document "${doc.name}" is empty after sanitisation`,
        "empty_document",
      );
    return doc;
  },
);
