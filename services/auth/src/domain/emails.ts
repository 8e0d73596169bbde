const shape = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/u

/**
 * The one spelling an email is stored and looked up under: trimmed, NFKC-normalised, lower case.
 * `A@x.com` and `a@x.com` are one account. Returns undefined for something that is not an email.
 */
export function canonicalEmail(raw: string): string | undefined {
  const email = raw.trim().normalize('NFKC').toLowerCase()
  if (email.length > 254 || !shape.test(email)) return undefined
  return email
}
