// A user mistake (a bad flag, key, option or spec): shown as one line, exit status 2, no stack.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}

/** A usage error commander has already printed: exit 2 without printing it twice. */
export class ReportedUsageError extends UsageError {}
