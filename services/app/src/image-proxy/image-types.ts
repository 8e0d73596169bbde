/** The only types the proxy serves. Anything else could be rendered as a document by a browser. */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp', 'image/x-icon', 'image/svg+xml'] as const
export type ImageType = (typeof IMAGE_TYPES)[number]

// Spellings seen in the wild for the same formats.
const ALIASES: Readonly<Record<string, ImageType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/vnd.microsoft.icon': 'image/x-icon',
}

/** The image type an upstream Content-Type declares, or undefined if it is not one we serve. */
export function declaredImageType(header: string | undefined): ImageType | undefined {
  const essence = header?.split(';')[0]?.trim().toLowerCase()
  if (essence === undefined) return undefined
  return (IMAGE_TYPES as readonly string[]).includes(essence) ? (essence as ImageType) : ALIASES[essence]
}

const ascii = (bytes: Buffer, start: number, end: number): string => bytes.toString('latin1', start, end)

function hasAvifBrand(bytes: Buffer): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return false
  const boxEnd = Math.min(bytes.readUInt32BE(0), bytes.length, 256)
  // Major brand at 8, minor version at 12, compatible brands from 16 to the end of the box.
  for (let at = 8; at + 4 <= boxEnd; at += at === 8 ? 8 : 4) {
    const brand = ascii(bytes, at, at + 4)
    if (brand === 'avif' || brand === 'avis') return true
  }
  return false
}

/** The raster format the bytes really are, from their signature. */
export function sniffRaster(bytes: Buffer): Exclude<ImageType, 'image/svg+xml'> | undefined {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg'
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'image/gif'
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp'
  if (hasAvifBrand(bytes)) return 'image/avif'
  // "BM" alone is too weak (text can start with it): also require a known DIB header size.
  if (bytes.length >= 18 && ascii(bytes, 0, 2) === 'BM' && [12, 40, 52, 56, 64, 108, 124].includes(bytes.readUInt32LE(14))) return 'image/bmp'
  if (bytes.length >= 6 && bytes.readUInt32BE(0) === 0x00000100 && bytes.readUInt16LE(4) > 0) return 'image/x-icon'
  return undefined
}

/** A loose check that a text body is an SVG document; the sandboxing CSP is what makes it safe. */
export function looksLikeSvg(bytes: Buffer): boolean {
  const text = bytes.toString('utf8', 0, Math.min(bytes.length, 64 * 1024)).replace(/^\uFEFF/, '').trimStart()
  return text.startsWith('<') && /<svg[\s>/]/i.test(text)
}

/**
 * The type to serve: what the bytes are, not merely what the upstream says. A raster image is
 * served as the format its signature shows; SVG (text, no signature) only when declared as SVG.
 */
export function servedType(declared: ImageType, bytes: Buffer): ImageType | undefined {
  const raster = sniffRaster(bytes)
  if (raster) return raster
  return declared === 'image/svg+xml' && looksLikeSvg(bytes) ? 'image/svg+xml' : undefined
}
