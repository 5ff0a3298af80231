//! Refresh tokens: opaque tokens (see [`super::opaque`]) in rotating
//! families, one per login.

/// How long a refresh token lives (30 days); each rotation starts a new one.
pub const REFRESH_TOKEN_TTL_SECONDS: i64 = 30 * 24 * 3600;

pub type RefreshToken = super::OpaqueToken;
