//! Ctrl-C and SIGTERM, listened for from the moment [`StopSignal::install`] returns, so a stop request that
//! comes at any point of start (before the ready line, while bots start, between installing and awaiting) is
//! never lost: each signal's stream keeps a delivery that nobody was waiting for yet, and `wait` sees it.

/// The process's stop request.
pub struct StopSignal {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(not(unix))]
    interrupt: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>,
}

impl StopSignal {
    /// Starts listening. Call it first thing, before anything slow.
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!("cannot listen for {name}: {error}");
                    None
                }
            };
            Self {
                interrupt: listen(SignalKind::interrupt(), "Ctrl-C"),
                terminate: listen(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        {
            // The Ctrl-C handler is registered on first poll, and only this future sees what comes after: keep it,
            // and poll it once now.
            let mut interrupt: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>> =
                Box::pin(tokio::signal::ctrl_c());
            let _ = futures::FutureExt::now_or_never(&mut interrupt);
            Self { interrupt }
        }
    }

    /// Resolves on Ctrl-C or SIGTERM, including one that came before this was called.
    pub async fn wait(self) {
        #[cfg(unix)]
        {
            async fn next(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt) => {}
                () = next(self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            if let Err(error) = self.interrupt.await {
                tracing::warn!("cannot listen for Ctrl-C: {error}");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Sends `signal` to this process and returns once `kill` has (the delivery itself is asynchronous).
    fn send_to_self(signal: &str) {
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", std::process::id())])
            .status()
            .expect("sh runs");
        assert!(status.success());
    }

    #[tokio::test]
    async fn a_sigterm_sent_before_waiting_is_not_lost() {
        let stop = StopSignal::install();
        send_to_self("TERM");
        tokio::time::timeout(Duration::from_secs(20), stop.wait()).await.expect("the earlier SIGTERM is seen");
    }

    #[tokio::test]
    async fn a_ctrl_c_sent_before_waiting_is_not_lost() {
        let stop = StopSignal::install();
        send_to_self("INT");
        tokio::time::timeout(Duration::from_secs(20), stop.wait()).await.expect("the earlier Ctrl-C is seen");
    }
}
