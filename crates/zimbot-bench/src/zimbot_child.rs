//! The real `zimbot run` as a child process: started on a bots.yaml, waited for until it prints
//! `zimbot running`, sampled through /proc, stopped with SIGTERM (its orderly stop).

use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `zimbot run`.
pub struct ZimbotChild {
    child: Child,
    pid: String,
    /// From the spawn to the `zimbot running` line.
    pub started_in: Duration,
    /// Where its webhook listens, read from that line (bots.yaml can ask for port 0).
    pub webhook: std::net::SocketAddr,
}

impl ZimbotChild {
    /// Runs `zimbot run config`, and waits (up to `patience`) for its `zimbot running` line, which must say that
    /// `bots` bots started.
    pub async fn start(zimbot: &Path, config: &Path, bots: usize, patience: Duration) -> anyhow::Result<Self> {
        let spawned = Instant::now();
        let mut child = std::process::Command::new(zimbot)
            .arg("run")
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", zimbot.display()))?;
        let pid = child.id().to_string();
        let stdout = child.stdout.take().context("zimbot's stdout")?;
        // The reader keeps draining stdout after the line, so zimbot never blocks on a full pipe.
        let (line_tx, line_rx) = tokio::sync::oneshot::channel::<String>();
        std::thread::spawn(move || {
            let mut line_tx = Some(line_tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("zimbot running") {
                    if let Some(line_tx) = line_tx.take() {
                        let _ = line_tx.send(line);
                    }
                }
            }
        });
        let unknown = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let mut running = Self { child, pid, started_in: Duration::ZERO, webhook: unknown };
        let line = match tokio::time::timeout(patience, line_rx).await {
            Ok(Ok(line)) => line,
            waited => {
                running.kill();
                anyhow::bail!("zimbot did not print 'zimbot running' within {patience:?} ({waited:?})")
            }
        };
        running.started_in = spawned.elapsed();
        if !line.contains(&format!("{bots} bot(s) started")) {
            running.kill();
            anyhow::bail!("zimbot: {line}");
        }
        match webhook_address(&line) {
            Some(address) => running.webhook = address,
            None => {
                running.kill();
                anyhow::bail!("zimbot's ready line names no webhook address: {line}");
            }
        }
        Ok(running)
    }

    /// Its resident memory now, in MiB.
    pub fn rss_mib(&self) -> anyhow::Result<f64> {
        Ok(crate::process::status_kib(&self.pid, "VmRSS:")? as f64 / 1024.0)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it with SIGTERM and waits for it to exit.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Self { mut child, pid, .. } = self;
        if let Ok(pid) = pid.parse::<i32>() {
            // SAFETY: kill only sends a signal to the child this process started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let stopped = tokio::task::spawn_blocking(move || child.wait()).await;
        anyhow::ensure!(matches!(stopped, Ok(Ok(_))), "zimbot did not stop cleanly: {stopped:?}");
        Ok(())
    }
}

/// The address after `; webhook ` in zimbot's ready line (`zimbot running: …; webhook ADDR; …`).
fn webhook_address(line: &str) -> Option<std::net::SocketAddr> {
    let rest = &line[line.find("; webhook ")? + "; webhook ".len()..];
    rest.split(';').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::webhook_address;

    #[test]
    fn the_webhook_address_is_read_from_the_ready_line() {
        let line =
            "zimbot running: 2 bot(s) started; webhook 127.0.0.1:41234; hub and chat page at http://127.0.0.1:5/";
        assert_eq!(webhook_address(line), Some("127.0.0.1:41234".parse().unwrap()));
        assert_eq!(
            webhook_address("zimbot running: 2 bot(s) started; webhook 127.0.0.1:9"),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(webhook_address("zimbot running: 2 bot(s) started"), None);
    }
}
