/**
 * Text files as the checks read them. The repository stores LF
 * (.gitattributes: `* text=auto eol=lf`), but a checkout made before that
 * rule, or by a tool that ignores it (Git for Windows with
 * core.autocrlf=true and an old clone, an editor set to CRLF), has CRLF.
 * markdown-it turns a lesson's CRLF into LF, so the code a block shows must
 * be read the same way or every block would differ by its CRs.
 */
import { readFileSync } from 'node:fs';

/** The file as UTF-8 with every CRLF turned into LF. Throws what readFileSync throws (ENOENT, ...). */
export function readText(file: string): string {
  return toLf(readFileSync(file, 'utf8'));
}

/** `text` with every CRLF turned into LF; a lone CR or LF stays. */
export function toLf(text: string): string {
  return text.replaceAll('\r\n', '\n');
}
