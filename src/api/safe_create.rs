//! Creating an object without ever orphaning one: a POST whose outcome is unknown (a 5xx, a
//! timeout, a lost response) may have created the object, so it is looked up before the POST
//! is sent again, and a "name taken" answer to a resend is checked against one more lookup.
//!
//! This sits beside the retry loop of [`super::retry`] rather than in it because only the
//! caller knows how to find the object it asked for (by name, by name and engine…).

use std::future::Future;

use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::{ErrorKind, HumanDuration};
use super::send::{Reply, Request};
use super::{deadline, ApiError, Client};

impl Client {
    /// Creates an object with a POST that is never re-sent blindly.
    ///
    /// When the POST fails ambiguously (a 5xx other than 501, a timeout or a lost response,
    /// after which the object may or may not exist), `lookup` is asked whether the object
    /// exists: if it does, it is returned as [`Created::Found`]; if it does not, the POST is
    /// sent again, within the retry budget. When the lookup itself fails, the POST's error is
    /// returned with a note that the object may exist.
    pub(crate) async fn create_safely<T, L, Fut>(
        &self,
        request: Request,
        what: &str,
        mut lookup: L,
    ) -> Result<Created<T>, ApiError>
    where
        L: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, ApiError>>,
    {
        let retry = self.inner.retry;
        let mut resends: u32 = 0;
        loop {
            let error = match self.execute(request.clone()).await {
                Ok(reply) => return Ok(Created::Replied(reply)),
                Err(error) if is_ambiguous(&error) => error,
                Err(error) => return Err(error),
            };
            tracing::warn!(
                method = %request.method, path = %request.path, what, error = %error,
                "create failed ambiguously; looking the object up before deciding to resend"
            );
            match lookup().await {
                Ok(Some(found)) => {
                    tracing::info!(
                        what,
                        "the object exists: the create went through despite the error"
                    );
                    return Ok(Created::Found(found));
                }
                Ok(None)
                    if resends < retry.max_retries && !past_deadline(retry.backoff(resends)) =>
                {
                    let wait = retry.backoff(resends);
                    resends += 1;
                    tracing::warn!(
                        method = %request.method, path = %request.path, what, wait = %HumanDuration(wait),
                        "the object does not exist; sending the create again"
                    );
                    tokio::time::sleep(wait).await;
                }
                Ok(None) => return Err(error),
                Err(lookup_error) => {
                    return Err(error.with_note(&format!(
                        "{what} may have been created anyway; looking it up failed: {lookup_error}"
                    )))
                }
            }
        }
    }
}

/// The result of [`Client::create_safely`].
pub(crate) enum Created<T> {
    /// The POST answered with a 2xx.
    Replied(Reply),
    /// The POST failed ambiguously and the lookup found the object.
    Found(T),
}

/// Whether a wait of `wait` from now would end after the current operation's time limit.
fn past_deadline(wait: std::time::Duration) -> bool {
    deadline::current().is_some_and(|limit| tokio::time::Instant::now() + wait >= limit)
}

/// Whether a failed request may nevertheless have been applied.
fn is_ambiguous(error: &ApiError) -> bool {
    match error.kind() {
        ErrorKind::Server => error.status() != Some(501),
        ErrorKind::Transport => true,
        _ => false,
    }
}

/// [`Client::create_safely`], closing its one remaining gap: a POST times out, the lookup
/// finds nothing yet, the first POST then completes on the server, and the resent POST is
/// refused because the name is taken (409 or 422). The object the first POST created is ours,
/// so a conflict after any ambiguous attempt triggers one more lookup, and a match found then
/// is returned instead of the error that would orphan it. A conflict on the first attempt is
/// never second-guessed: the name was taken by someone else.
pub(super) async fn create_or_adopt<T, L, Fut>(
    client: &Client,
    post: Request,
    what: &str,
    lookup: L,
) -> Result<Created<T>, ApiError>
where
    L: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
{
    // `create_safely` only looks the object up after an ambiguous attempt.
    let was_ambiguous = AtomicBool::new(false);
    let result = client
        .create_safely(post, what, || {
            was_ambiguous.store(true, Ordering::Relaxed);
            lookup()
        })
        .await;
    let error = match result {
        Err(error) if was_ambiguous.load(Ordering::Relaxed) && is_conflict(&error) => error,
        other => return other,
    };
    tracing::warn!(
        what, error = %error,
        "a resent create was refused as a conflict; looking for the object an earlier attempt created"
    );
    match lookup().await {
        Ok(Some(found)) => {
            tracing::info!(
                what,
                "the object exists: an earlier, ambiguous create went through"
            );
            Ok(Created::Found(found))
        }
        Ok(None) => Err(error),
        Err(lookup_error) => {
            tracing::warn!(what, error = %lookup_error, "looking the object up failed");
            Err(error)
        }
    }
}

/// [`create_or_adopt`], then the object under `field` of the 2xx answer. An answer that does
/// not describe the object (no body, `{}`, truncated JSON, required fields missing) is as
/// ambiguous as a lost response: the create was accepted, so the object exists or soon will,
/// and returning the decode error would leave it in the API and out of state (the next apply
/// would then fail with "name taken"). It is looked up instead, a few times with the retry
/// backoff since a new object may take a moment to be listed, and adopted. The POST is never
/// sent again after a 2xx.
pub(super) async fn create_and_describe<T, L, Fut>(
    client: &Client,
    post: Request,
    what: &str,
    field: &str,
    lookup: L,
) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    L: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
{
    let reply = match create_or_adopt(client, post, what, &lookup).await? {
        Created::Replied(reply) => reply,
        Created::Found(found) => return Ok(found),
    };
    let unusable = match reply.field::<T>(field) {
        Ok(object) => return Ok(object),
        Err(error) => error,
    };
    let status = reply.status;
    tracing::warn!(
        what, status, error = %unusable,
        "the create was accepted but the answer does not describe the object; looking it up"
    );
    let retry = client.inner.retry;
    for round in 0..=retry.max_retries {
        match lookup().await {
            Ok(Some(found)) => {
                tracing::info!(what, "found the object the accepted create made");
                return Ok(found);
            }
            Ok(None) => {}
            Err(lookup_error) => {
                return Err(unusable.with_note(&format!(
                    "the API accepted the create (HTTP {status}) without describing {what}, \
                     and looking it up failed: {lookup_error}; it probably exists: import it \
                     rather than creating it again"
                )))
            }
        }
        if round < retry.max_retries && !past_deadline(retry.backoff(round)) {
            tokio::time::sleep(retry.backoff(round)).await;
        } else {
            break;
        }
    }
    Err(unusable.with_note(&format!(
        "the API accepted the create (HTTP {status}) without describing {what}, and it could \
         not be found afterwards; if it appears later, import it rather than creating it again"
    )))
}

/// 409 Conflict, or the 422 the API gives for a name that is taken.
fn is_conflict(error: &ApiError) -> bool {
    error.kind() == ErrorKind::Invalid && matches!(error.status(), Some(409 | 422))
}
