/** Base of every error this library throws. Subclasses set `name` as a literal, never from the constructor. */
export class ResqueError extends Error {
  override name = 'ResqueError';
}
