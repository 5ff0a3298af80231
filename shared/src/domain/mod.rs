//! Domain types and rules. No I/O, no AWS, no HTTP: every constructor is the
//! validation, so a value of these types is valid by construction.

pub mod clock;
pub mod throttle;
pub mod user;

pub use clock::Timestamp;
pub use user::{Email, LoginName, NewUser, Password, Role, User, UserId, Username};
