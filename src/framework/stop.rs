//! The process-wide "Terraform asked us to stop" signal.
//!
//! Terraform sends `StopProvider` when the user interrupts a run. tf-provider handles that RPC
//! itself and does not expose it, so the logging layer watches for the RPC's request span and
//! fires this token; SIGINT does the same. Every wait selects on it.

use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

fn token() -> &'static CancellationToken {
    static TOKEN: OnceLock<CancellationToken> = OnceLock::new();
    TOKEN.get_or_init(CancellationToken::new)
}

/// A token that is cancelled once a stop has been requested.
pub fn stop_token() -> CancellationToken {
    token().clone()
}

/// Asks every in-flight operation to stop as soon as it safely can.
pub fn request_stop() {
    if !token().is_cancelled() {
        tracing::warn!("stop requested: in-flight waits end now and report what exists");
        token().cancel();
    }
}
