/**
 * No HTTP answer came back from the backend: connection refused, unknown host, or no reply within
 * the timeout. The message names the URL and says how to start a backend.
 */
export class BackendUnreachableError extends Error {
  readonly code = 'BACKEND_UNREACHABLE';

  /**
   * @param baseUrl - the backend URL that was tried
   * @param reason - short cause, e.g. `connection refused` or `no reply within 10 s`
   */
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `the ktrdr backend at ${baseUrl} is unreachable (${reason}). ` +
        'Start a local cluster with `ktrdr up`, or just a backend with `ktrdr backend`, ' +
        'or point --url / KTRDR_API_URL at a running backend.',
      options,
    );
    this.name = 'BackendUnreachableError';
  }
}
