/** A mistake in how the simulator was invoked: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}
