/**
 * Reading what a server sent back, for `npm run probe`: how many responses,
 * their status codes, and whether the last one is complete. Only as much of
 * RFC 9112 as counting responses needs (§4 status line, §6.3 body length);
 * the probe judges verdicts, not bytes.
 */

/** One response found in the bytes a server sent. */
export interface SeenResponse {
  /** The status code, e.g. 400. */
  status: number;
  /** True when its body ended where its framing says (or it has none). */
  complete: boolean;
}

/**
 * Splits `bytes` into the responses they hold, in order, skipping interim
 * 1xx responses (RFC 9110 §15.2). `closed`: the server has closed, so a body
 * delimited by the close (no Content-Length, not chunked) is complete.
 * Bytes that do not start with a status line end the list.
 */
export function readResponses(bytes: Buffer, closed: boolean): SeenResponse[] {
  const text = bytes.toString('latin1');
  const seen: SeenResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const status = /^HTTP\/\d\.\d (\d{3})[^\n]*\n/.exec(text.slice(at, at + 1024));
    if (!status) break;
    const headEnd = findHeadEnd(text, at);
    const code = Number(status[1]);
    if (headEnd === -1) {
      seen.push({ status: code, complete: false });
      break;
    }
    const head = text.slice(at, headEnd);
    const bodyEnd = code < 200 || code === 204 || code === 304 ? headEnd : findBodyEnd(text, head, headEnd, closed);
    if (code >= 200) seen.push({ status: code, complete: bodyEnd !== -1 });
    if (bodyEnd === -1) break;
    at = bodyEnd;
  }
  return seen;
}

/** Offset just past the blank line that ends the head starting at `from` (CRLF or bare LF), or -1. */
function findHeadEnd(text: string, from: number): number {
  const end = /\r?\n\r?\n/.exec(text.slice(from));
  return end ? from + end.index + end[0].length : -1;
}

/** Offset just past the body that starts at `from`, by RFC 9112 §6.3, or -1 when it is not all here. */
function findBodyEnd(text: string, head: string, from: number, closed: boolean): number {
  if (/^transfer-encoding:[ \t]*[^\r\n]*chunked/im.test(head)) return findChunkedEnd(text, from);
  const length = /^content-length:[ \t]*(\d+)/im.exec(head);
  if (length) return from + Number(length[1]) <= text.length ? from + Number(length[1]) : -1;
  return closed ? text.length : -1; // delimited by the close (§6.3 rule 8)
}

/** Offset just past a chunked body starting at `from` (last chunk and trailer section), or -1. */
function findChunkedEnd(text: string, from: number): number {
  let at = from;
  for (;;) {
    const line = /^([0-9a-fA-F]+)[^\n]*\n/.exec(text.slice(at, at + 1024));
    if (!line) return -1;
    const size = parseInt(line[1]!, 16);
    at += line[0].length;
    if (size === 0) {
      const trailerEnd = /^(?:[^\n]+\n)*?\r?\n/.exec(text.slice(at));
      return trailerEnd ? at + trailerEnd[0].length : -1;
    }
    at += size;
    const crlf = /^\r?\n/.exec(text.slice(at, at + 2));
    if (!crlf) return -1;
    at += crlf[0].length;
  }
}
