// TLS errors as one short log line: OpenSSL's reason ("wrong version number", "http request")
// and Node's code, instead of a message that carries OpenSSL's source path and line.
/** A TLS failure in a few words, with its code: "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)". */
export function describeTlsError(error: NodeJS.ErrnoException): string {
  const reason = (error as { reason?: unknown }).reason;
  const text = typeof reason === 'string' ? reason : (OPENSSL_REASON.exec(error.message)?.[1] ?? error.message.trim());
  return error.code !== undefined && !text.includes(error.code) ? `${text} (${error.code})` : text;
}

/** True for an error of TLS itself, not of the TCP socket under it (EPROTO comes from a write, yet is OpenSSL's). */
export function isTlsError(error: NodeJS.ErrnoException): boolean {
  return error.syscall === undefined || error.code === 'EPROTO' || OPENSSL_REASON.test(error.message);
}

/** `…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…` → the reason. */
const OPENSSL_REASON = /SSL routines:[^:]*:([^:]+)/;
