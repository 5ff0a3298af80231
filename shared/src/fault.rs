//! Named crash points for the tests that prove a flow survives a function
//! dying half-way. Built only with the test-only `fault-points` feature: a
//! test arms a point for one subject (an order id), and the next pass through
//! it fails as if the function had died there, leaving only what was written
//! before it. In every other build [`point`] is a no-op the compiler removes.

use crate::Error;

#[cfg(feature = "fault-points")]
static ARMED: std::sync::Mutex<Vec<(&'static str, String)>> = std::sync::Mutex::new(Vec::new());

/// Makes the next pass through `point` for `subject` fail, once.
#[cfg(feature = "fault-points")]
pub fn arm(point: &'static str, subject: &str) {
    if let Ok(mut armed) = ARMED.lock() {
        armed.push((point, subject.to_owned()));
    }
}

/// Fails if a test armed this point for this subject.
#[cfg_attr(not(feature = "fault-points"), inline(always))]
pub fn point(name: &'static str, subject: &str) -> Result<(), Error> {
    #[cfg(feature = "fault-points")]
    {
        let fired = ARMED.lock().ok().and_then(|mut armed| {
            let at = armed.iter().position(|(p, s)| *p == name && s == subject)?;
            Some(armed.swap_remove(at))
        });
        if fired.is_some() {
            return Err(Error::internal("a test's fault point")(format!(
                "fault point {name} fired"
            )));
        }
    }
    let _ = (name, subject);
    Ok(())
}
