//! Child processes of the local stack: each in its own process group, its
//! output in a log file, its PID recorded so a later run can clean up after a
//! crash, and all of them stopped together.

use crate::{Result, fail};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

pub struct Procs {
    pid_file: PathBuf,
    procs: Vec<Proc>,
}

fn signal_group(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Procs {
    /// Stops what a previous run left behind (recorded in `pid_file`), then
    /// starts recording this run's processes there.
    pub fn new(pid_file: PathBuf) -> Self {
        let mut stopping = Vec::new();
        if let Ok(text) = std::fs::read_to_string(&pid_file) {
            for line in text.lines() {
                let mut parts = line.splitn(2, ' ');
                let (Some(pid), Some(marker)) = (
                    parts.next().and_then(|p| p.parse::<u32>().ok()),
                    parts.next(),
                ) else {
                    continue;
                };
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains(marker) {
                    println!("  stopping {marker} (pid {pid}) left over from an earlier run");
                    signal_group(pid, libc::SIGTERM);
                    stopping.push(pid);
                }
            }
        }
        let _ = std::fs::remove_file(&pid_file);
        Self {
            pid_file,
            procs: Vec::new(),
        }
    }

    /// Starts `command` with its output in `log`; `marker` is a word of its
    /// command line, used to recognise it later.
    pub fn spawn(
        &mut self,
        name: &str,
        marker: &str,
        command: &mut Command,
        log: &Path,
    ) -> Result<()> {
        let out =
            File::create(log).map_err(|e| fail(format!("creating {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| fail(format!("{}: {e}", log.display())))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| {
                fail(format!(
                    "starting {name} ({:?}): {e}",
                    command.get_program()
                ))
            })?;
        let line = format!("{} {marker}\n", child.id());
        let mut recorded = std::fs::read_to_string(&self.pid_file).unwrap_or_default();
        recorded.push_str(&line);
        let _ = std::fs::write(&self.pid_file, recorded);
        self.procs.push(Proc {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        });
        Ok(())
    }

    /// An error naming the first process that has exited, and its log.
    pub fn check(&mut self) -> Result<()> {
        for proc in &mut self.procs {
            if let Ok(Some(status)) = proc.child.try_wait() {
                return Err(fail(format!(
                    "{} exited ({status}); see {}",
                    proc.name,
                    proc.log.display()
                )));
            }
        }
        Ok(())
    }

    /// SIGTERM to every group, then SIGKILL to what is still running after 5 s.
    pub fn stop_all(&mut self) {
        for proc in self.procs.iter().rev() {
            signal_group(proc.child.id(), libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for proc in self.procs.iter_mut().rev() {
            while Instant::now() < deadline && matches!(proc.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if alive(proc.child.id()) {
                signal_group(proc.child.id(), libc::SIGKILL);
            }
            let _ = proc.child.wait();
        }
        self.procs.clear();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        self.stop_all();
    }
}
