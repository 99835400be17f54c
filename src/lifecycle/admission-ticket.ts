/** A place among the running streams, held from admission until the stream has ended. */
export interface AdmissionTicket {
  /** Gives the place back. Idempotent; call it on every path that ends the stream. */
  release(): void;
}
