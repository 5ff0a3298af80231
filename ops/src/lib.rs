//! The operator's tasks, used by the `ferrocart` command, the local stack and the tests.

pub mod dlq;
pub mod seed;

use shared::Error;
use shared::auth::PasswordHasher;
use shared::aws::UsersTable;
use shared::domain::{NewUser, Role, User};

/// Creates an admin account: the only way one comes to exist.
pub async fn create_admin(
    table: &UsersTable,
    username: &str,
    email: &str,
    password: &str,
) -> Result<User, Error> {
    let new = NewUser::parse(username, email, password).map_err(Error::Validation)?;
    shared::users::create_user(table, &PasswordHasher::new(), new, Role::Admin).await
}
