// Node's decoders accept both alphabets, skip whitespace and ignore stray trailing bits, so many
// strings could name one blob. Only the canonical spelling passes: re-encoding the decoded bytes
// must give back the input exactly, which also rules out any character outside the alphabet.

/** base64url without padding, or undefined when not exactly that. */
export function strictBase64Url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

/** Standard base64 with padding, or undefined when not exactly that. */
export function strictBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : undefined
}
