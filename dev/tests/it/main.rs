//! The local stack's integration tests in one test binary: each binary links
//! the AWS SDK, and one link is cheaper than one per file. `consistency` and
//! `resource_limit` read the repository; `events` and `sockets` need the
//! stack `dev test` starts.

mod consistency;
mod contributing;
mod events;
mod resource_limit;
mod sockets;
