/** A request we refuse, shared by http.ts and chunked.ts: the status code and a one-line reason. */
export class HttpError extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(reason);
    this.code = code;
  }
}
