// Child of the vault benchmark: encrypt+decrypt of 1 KiB in a bare process, no HTTP, with and
// without the derived-key cache (without it, every operation pays one HKDF).
import { randomBytes } from 'node:crypto'
import { Vault } from '@claraverse/vault'

const seconds = Number(process.argv[2] ?? 2)
const ROUNDS = 3
const plaintext = randomBytes(1024)
const masterKey = randomBytes(32)

function roundTripsPerSecond(keyCacheSize: number): number {
  const vault = Vault.fromConfig({ keyVersion: 1, masterKey, previousKeys: new Map(), keyCacheSize })
  const once = (): void => {
    const blob = vault.encrypt('user_bench', plaintext, 'bench:1')
    if (vault.decrypt('user_bench', blob, 'bench:1').plaintext.length !== plaintext.length) throw new Error('round trip lost bytes')
  }
  for (let i = 0; i < 2000; i++) once() // warm-up: JIT and the cache
  let n = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) once()
    n += 200
  }
  return n / ((performance.now() - start) / 1000)
}

const cached: number[] = []
const uncached: number[] = []
for (let r = 0; r < ROUNDS; r++) {
  cached.push(roundTripsPerSecond(10_000))
  uncached.push(roundTripsPerSecond(0))
}
process.send?.({ cached, uncached })
