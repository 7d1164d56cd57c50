/** A request we refuse, shared by http.ts and chunked.ts: the status code and a one-line reason. */
export class HttpError extends Error {
  readonly code: number;
  /**
   * Body bytes the client announced and will still send after this refusal (a 413 for its
   * Content-Length): the lingering close reads and drops them, so that the client, which may
   * write its whole body before it reads, still reads the answer (handler.ts). 0: none known.
   */
  readonly unreadBytes: number;
  constructor(code: number, reason: string, unreadBytes = 0) {
    super(reason);
    this.code = code;
    this.unreadBytes = unreadBytes;
  }
}
