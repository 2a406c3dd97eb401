//! The time limit of the operation a request belongs to (a create, update or delete under its
//! `timeouts` block), visible to the retry loop without threading it through every call: the
//! loop never starts a wait that would end past it, so an operation whose requests keep
//! failing ends at its limit (plus at most one request in flight), not after the whole retry
//! budget.

use std::future::Future;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `operation` with `deadline` as the limit of its API requests' retries.
pub async fn within<F: Future>(deadline: Instant, operation: F) -> F::Output {
    DEADLINE.scope(deadline, operation).await
}

/// The limit of the current operation, if it has one.
pub(crate) fn current() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_deadline_is_seen_inside_and_not_outside() {
        assert_eq!(current(), None);
        let limit = Instant::now() + Duration::from_secs(5);
        let seen = within(limit, async { current() }).await;
        assert_eq!(seen, Some(limit));
        assert_eq!(current(), None);
    }
}
