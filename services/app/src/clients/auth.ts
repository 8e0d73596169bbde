import { Pool } from 'undici'
import { callerHeaders, type Caller } from './caller.js'
import { AdminOnly, AuthUnavailable } from '../domain/errors.js'

export interface AuthStats {
  total_users: number
  admins: number
  active_sessions: number
  logins_24h: number
  failed_logins_24h: number
}

/** Asks auth for its figures with the admin's own assertion: auth decides who is an admin. */
export class AuthClient {
  private readonly pool: Pool

  constructor(baseUrl: string) {
    this.pool = new Pool(baseUrl, { connections: 8, connect: { timeout: 2_000 }, headersTimeout: 5_000, bodyTimeout: 5_000 })
  }

  async stats(caller: Caller): Promise<AuthStats> {
    let res
    try {
      res = await this.pool.request({ path: '/internal/stats', method: 'GET', headers: callerHeaders(caller) })
    } catch (err) {
      throw new AuthUnavailable({ cause: err })
    }
    if (res.statusCode === 403 || res.statusCode === 401) {
      await res.body.dump()
      throw new AdminOnly()
    }
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new AuthUnavailable()
    }
    return await res.body.json() as AuthStats
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}
