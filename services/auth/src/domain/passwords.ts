import * as argon2 from 'argon2'
import { dictionary } from '@zxcvbn-ts/language-common'

export interface Argon2Params {
  memoryCost: number
  timeCost: number
  parallelism: number
}

export const PASSWORD_MAX_LENGTH = 256

// ~49k passwords from leaked-password corpora, maintained by the zxcvbn-ts project.
const common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()))

export interface VerifyResult {
  ok: boolean
  /** The stored hash was made with other parameters; hash the password again. */
  rehash: boolean
}

/** Argon2id hashing with parameters from configuration; passwords are NFKC-normalised first. */
export class Passwords {
  private readonly options: argon2.HashOptions & { raw: false }
  private dummy: Promise<string> | undefined

  constructor(params: Argon2Params, private readonly minLength: number) {
    this.options = { type: argon2.argon2id, ...params, raw: false }
  }

  /** Why a new password is unacceptable, or undefined when it is fine. No composition rules. */
  problem(password: string): string | undefined {
    const p = password.normalize('NFKC')
    const length = [...p].length
    if (length < this.minLength) return `Password must be at least ${this.minLength} characters`
    if (length > PASSWORD_MAX_LENGTH) return `Password must be at most ${PASSWORD_MAX_LENGTH} characters`
    if (common.has(p.toLowerCase())) return 'This password is too common; choose a less predictable one'
    return undefined
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password.normalize('NFKC'), this.options)
  }

  async verify(hash: string, password: string): Promise<VerifyResult> {
    // A malformed stored hash never matches.
    const ok = await argon2.verify(hash, password.normalize('NFKC')).catch(() => false)
    return { ok, rehash: ok && argon2.needsRehash(hash, this.options) }
  }

  /** Spends one verify on a hash of the same cost, so an unknown email takes as long as a known one. */
  async verifyDummy(password: string): Promise<void> {
    this.dummy ??= argon2.hash('claraverse-dummy-password', this.options)
    await this.verify(await this.dummy, password)
  }
}
