/**
 * Messages per socket: a token bucket (burst, then a steady rate). The gateway's limits count
 * only the handshake; this counts what flows after it.
 */
export class MessageBucket {
  private tokens: number
  private last: number

  constructor(private readonly burst = 20, private readonly perSecond = 2, private readonly now: () => number = Date.now) {
    this.tokens = burst
    this.last = now()
  }

  take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond)
    this.last = t
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
