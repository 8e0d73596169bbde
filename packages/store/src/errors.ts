import { defineError } from '@claraverse/errors'

const DuplicateKeyBase = defineError('STORE_DUPLICATE_KEY', 'A record with this value already exists', 409)

/**
 * A unique index (or `_id`) already holds the value. The message is safe for clients; which
 * index refused the write travels as a property, since it is for the caller's logic and logs.
 */
export class DuplicateKeyError extends DuplicateKeyBase {
  /** The unique index's fields, `['_id']` for the primary key, or `[]` when the server did not say. */
  readonly fields: string[]

  constructor(fields: string[]) {
    // No cause on purpose: drivers quote the duplicate value, which may be a token or an address.
    super()
    this.name = 'DuplicateKeyError'
    this.fields = fields
  }
}

const StoreUnavailableBase = defineError('STORE_UNAVAILABLE', 'Storage is temporarily unavailable', 503)

/** The database cannot be reached or is busy; the driver's error is kept as `cause` for logs. */
export class StoreUnavailable extends StoreUnavailableBase {
  constructor(cause?: unknown) {
    super()
    this.name = 'StoreUnavailable'
    if (cause !== undefined) this.cause = cause
  }
}
