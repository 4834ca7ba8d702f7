/** A failure answered by (or on the way to) a Heketi REST API: the HTTP status and Heketi's plain-text message. */
export class HeketiApiError extends Error {
  constructor(
    /** 0 when the server could not be reached or did not answer in time. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HeketiApiError';
  }
}
