import { defineError } from '@claraverse/errors'

export const InvalidCredentials = defineError('AUTH_INVALID_CREDENTIALS', 'Invalid email or password', 401)
export const InvalidEmail = defineError('AUTH_INVALID_EMAIL', 'Enter a valid email address', 400)
export const WeakPassword = defineError('AUTH_WEAK_PASSWORD', '%s', 400)
export const EmailTaken = defineError('AUTH_EMAIL_TAKEN', 'An account with this email already exists', 409)
export const InvalidRefreshToken = defineError('AUTH_INVALID_REFRESH_TOKEN', 'Session expired, please log in again', 401)
export const LoginThrottled = defineError('AUTH_TOO_MANY_ATTEMPTS', 'Too many login attempts, retry later', 429)
export const WrongPassword = defineError('AUTH_WRONG_PASSWORD', 'Current password is incorrect', 403)
export const UserNotFound = defineError('AUTH_USER_NOT_FOUND', 'User not found', 404)
export const SessionNotFound = defineError('AUTH_SESSION_NOT_FOUND', 'Session not found', 404)
export const AdminRequired = defineError('AUTH_ADMIN_REQUIRED', 'Administrator access required', 403)
export const ProtectedUser = defineError('AUTH_PROTECTED_USER', '%s', 403)
export const LastAdmin = defineError('AUTH_LAST_ADMIN', 'The last administrator cannot be demoted, disabled or deleted', 409)
