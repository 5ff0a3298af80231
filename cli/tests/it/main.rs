//! The CLI's integration tests in one test binary: each binary links the
//! AWS SDK, and one link is cheaper than one per file.

mod cli;
