//! `client.tags()`: the generic tags API (`/v2/tags`), through which cluster tags change after
//! creation (`resource_type` `database`).
//!
//! All three calls are safe to repeat (creating an existing tag, tagging a tagged resource and
//! untagging an untagged one change nothing), so their POSTs get the full retries of a PUT.

use serde_json::json;

use super::error::ErrorKind;
use super::models::TagResource;
use super::send::{segment, Request};
use super::{ApiError, Client};

/// Tag calls; see [`Client::tags`].
#[derive(Debug, Clone, Copy)]
pub struct Tags<'a> {
    client: &'a Client,
}

impl Client {
    /// Tags (`/v2/tags`).
    pub fn tags(&self) -> Tags<'_> {
        Tags { client: self }
    }
}

impl Tags<'_> {
    /// `POST /v2/tags` `{name}` → 201. A tag that already exists (409/422 "already exists") is
    /// success.
    pub async fn create(self, name: &str) -> Result<(), ApiError> {
        if name.is_empty() {
            return Err(ApiError::config("the tag name is empty"));
        }
        let request = Request::post("/v2/tags".to_string())
            .json(&json!({ "name": name }))?
            .idempotent();
        match self.client.execute(request).await {
            Ok(_) => Ok(()),
            Err(e) if already_exists(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /v2/tags/{name}/resources` `{resources}` → 204. Nothing is sent for an empty slice.
    pub async fn tag_resources(
        self,
        name: &str,
        resources: &[TagResource],
    ) -> Result<(), ApiError> {
        if resources.is_empty() {
            return Ok(());
        }
        let request = Request::post(resources_path(name)?)
            .json(&json!({ "resources": resources }))?
            .idempotent();
        self.client.execute(request).await?;
        Ok(())
    }

    /// `DELETE /v2/tags/{name}/resources` with a JSON body `{resources}` → 204. Nothing is sent
    /// for an empty slice.
    pub async fn untag_resources(
        self,
        name: &str,
        resources: &[TagResource],
    ) -> Result<(), ApiError> {
        if resources.is_empty() {
            return Ok(());
        }
        let request =
            Request::delete(resources_path(name)?).json(&json!({ "resources": resources }))?;
        self.client.execute(request).await?;
        Ok(())
    }
}

fn resources_path(name: &str) -> Result<String, ApiError> {
    Ok(format!("/v2/tags/{}/resources", segment("tag name", name)?))
}

fn already_exists(error: &ApiError) -> bool {
    error.kind() == ErrorKind::Invalid
        && matches!(error.status(), Some(409 | 422))
        && error
            .message()
            .to_ascii_lowercase()
            .contains("already exist")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(status: u16, message: &str) -> ApiError {
        ApiError::from_status("POST", "/v2/tags", status, "unprocessable_entity", message)
    }

    #[test]
    fn only_an_existing_tag_counts_as_created() {
        assert!(already_exists(&invalid(
            422,
            "tag production Already Exists"
        )));
        assert!(already_exists(&invalid(
            409,
            "a tag with this name already exists"
        )));
        assert!(!already_exists(&invalid(422, "name is invalid")));
        assert!(!already_exists(&invalid(400, "already exists")));
    }
}
