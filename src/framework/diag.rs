//! Diagnostics for users.
//!
//! Diagnostics built field by field: nothing here captures a backtrace, even with
//! `RUST_BACKTRACE` set, and API errors become a summary plus the API's words and a hint.

use std::borrow::Cow;

use crate::plugin::{AttributePath, Diagnostic, Diagnostics};

use crate::api::wait::WaitError;
use crate::api::{ApiError, ErrorKind};

/// Path to a top-level attribute.
pub fn attr(name: &'static str) -> AttributePath {
    AttributePath::new(name)
}

/// Builds a diagnostic without a backtrace.
pub fn diagnostic(
    summary: impl Into<Cow<'static, str>>,
    detail: impl Into<Cow<'static, str>>,
    attribute: AttributePath,
) -> Diagnostic {
    Diagnostic {
        summary: summary.into(),
        detail: detail.into(),
        attribute,
    }
}

/// Convenience methods on [`Diagnostics`] that never capture a backtrace.
pub trait DiagExt {
    fn err(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    );
    fn root_err(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    );
    fn warn(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    );
    /// Reports a failed API call: `summary` says what the provider was doing.
    fn api_err(&mut self, summary: impl Into<Cow<'static, str>>, error: &ApiError);
    /// Reports a failed wait: `summary` says what the provider was waiting for.
    fn wait_err(&mut self, summary: impl Into<Cow<'static, str>>, error: &WaitError);
    fn has_errors(&self) -> bool;
}

impl DiagExt for Diagnostics {
    fn err(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    ) {
        self.add_error(diagnostic(summary, detail, attribute));
    }

    fn root_err(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) {
        self.add_error(diagnostic(summary, detail, AttributePath::default()));
    }

    fn warn(
        &mut self,
        summary: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
        attribute: AttributePath,
    ) {
        self.add_warning(diagnostic(summary, detail, attribute));
    }

    fn api_err(&mut self, summary: impl Into<Cow<'static, str>>, error: &ApiError) {
        self.root_err(summary, api_error_detail(error));
    }

    fn wait_err(&mut self, summary: impl Into<Cow<'static, str>>, error: &WaitError) {
        let detail = match error {
            WaitError::Api(api) => api_error_detail(api),
            other => other.to_string(),
        };
        self.root_err(summary, detail);
    }

    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The detail of an API failure: the API's own words plus a hint at what to do.
fn api_error_detail(error: &ApiError) -> String {
    let hint = match error.kind() {
        ErrorKind::Unauthorized if error.path().starts_with(crate::uncloud::API_PREFIX) => {
            "\n\nCheck the provider's `uncloud_token` (or UNCLOUD_TOKEN): it is missing, expired \
             or lacks the `databases:read` and `databases:write` scopes."
        }
        ErrorKind::Unauthorized => {
            "\n\nCheck the provider's `token` (or DBAAS_TOKEN / DIGITALOCEAN_TOKEN): it is missing, \
             expired or lacks the database scopes."
        }
        ErrorKind::RateLimited => {
            "\n\nThe API's rate limit stayed exhausted for longer than the provider waits for \
             budget. Run with lower parallelism (`-parallelism`), spread the work over several \
             runs, or raise `http_retry_max`."
        }
        ErrorKind::Server | ErrorKind::Transport if error.attempts() > 1 => {
            "\n\nThe request was retried and still failed; this is usually temporary. Run the \
             command again."
        }
        _ => "",
    };
    format!("{error}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_hint_appears_only_after_a_retry() {
        let error = ApiError::from_status(
            "GET",
            "/v2/databases",
            503,
            "service_unavailable",
            "try later",
        );
        assert!(!api_error_detail(&error).contains("retried"));
        let retried = error.with_attempts(5);
        assert!(api_error_detail(&retried).contains("The request was retried and still failed"));
        let undecodable = ApiError::transport("POST", "/v2/databases", "truncated JSON");
        assert!(!api_error_detail(&undecodable).contains("retried"));
    }
}
