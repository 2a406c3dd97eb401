//! What every object that lives inside a cluster under a name (connection pools, Kafka topics,
//! users, databases, …) does the same way: the plan-time check of its parent cluster, the
//! "already exists, import it" answer to a refused create, the read that drops a vanished
//! object from state, the delete that ends only once the object is gone, and import by
//! `<cluster_id>,<name>`. Each resource keeps only what is its own (engine checks, the model).

use std::future::Future;

use crate::api::models::Cluster;
use crate::api::wait::{await_condition, Poll, WaitError};
use crate::api::{ApiError, ErrorKind};
use crate::plugin::Diagnostics;

use super::attr as at;
use super::context::{ApiContext, RequestContext};
use super::diag::DiagExt;
use super::import;

/// How messages name one kind of child object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildKind {
    /// In running text: "connection pool", "database user".
    pub noun: &'static str,
    /// At the start of a summary: "Connection pool", "Database user".
    pub title: &'static str,
    /// In the example of the import ID's form: "connection pool" gives `my-connection-pool`.
    pub import_noun: &'static str,
}

/// The import (and resource) ID of a child: `<cluster_id>,<name>`.
pub fn child_id(cluster_id: &str, name: &str) -> String {
    format!("{cluster_id},{name}")
}

/// Plan-time check of a known `cluster_id`: the cluster must exist (an error under
/// `cluster_id` otherwise, which saves waiting for it until the create timeout). Returns the
/// cluster for the resource's own engine checks. A cluster that cannot be read for another
/// reason (no API settings yet, the API unreachable) is left to the apply, which checks again.
pub async fn parent_cluster(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    cluster_id: &str,
) -> Option<Cluster> {
    let api = ctx.api_if_configured()?;
    match api
        .client
        .get_parent_cluster(cluster_id, &api.poll, &ctx.cancel)
        .await
    {
        Ok(cluster) => Some(cluster),
        Err(error) if error.is_not_found() => {
            diags.err(
                "Database cluster not found",
                format!(
                    "`cluster_id` {cluster_id:?} names no database cluster this token can see."
                ),
                at("cluster_id"),
            );
            None
        }
        Err(error) => {
            tracing::warn!(%error, cluster = cluster_id, "cluster not readable at plan time; checked again at apply");
            None
        }
    }
}

/// After a failed create: when the API refused it and an object of that name exists, says how
/// to adopt it (Terraform never takes over an existing object silently); otherwise reports
/// the failure. `lookup` reads the object by name and runs only after a refusal.
pub async fn report_create_failure<T, F, Fut>(
    diags: &mut Diagnostics,
    kind: ChildKind,
    (cluster_id, name): (&str, &str),
    describe: &str,
    error: &WaitError,
    lookup: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
{
    if let WaitError::Api(api_error) = error {
        if api_error.kind() == ErrorKind::Invalid {
            if let Ok(Some(_)) = lookup().await {
                diags.err(
                    format!("{} already exists", kind.title),
                    format!(
                        "Cluster {cluster_id} already has a {} named {name:?} ({api_error}). \
                         Terraform does not take over existing objects silently: import it \
                         with `terraform import <address> {}`, or choose another `name`.",
                        kind.noun,
                        child_id(cluster_id, name)
                    ),
                    at("name"),
                );
                return;
            }
        }
    }
    diags.wait_err(format!("Could not create the {describe}"), error);
}

/// The outcome of a refresh's read: the object (`Some(Some)`), gone so dropped from state
/// (`Some(None)`), or an error in `diags` (`None`).
pub fn read_outcome<T>(
    diags: &mut Diagnostics,
    kind: ChildKind,
    (cluster_id, name): (&str, &str),
    describe: &str,
    read: Result<Option<T>, ApiError>,
) -> Option<Option<T>> {
    match read {
        Ok(Some(object)) => Some(Some(object)),
        Ok(None) => {
            tracing::info!(
                cluster = cluster_id,
                name,
                "{} is gone; removing it from state",
                kind.noun
            );
            Some(None)
        }
        Err(error) => {
            diags.api_err(format!("Could not read the {describe}"), &error);
            None
        }
    }
}

/// Deletes a child (a 404 counts as deleted) taking turns with other changes to the cluster,
/// then waits until it can no longer be read, so that a replacement with the same name does
/// not collide with the object being removed. `describe` names the object in messages.
/// `None` when an error is in `diags`.
pub async fn delete_until_gone<T, D, DFut, R, RFut>(
    ctx: &RequestContext,
    diags: &mut Diagnostics,
    api: &ApiContext,
    kind: ChildKind,
    (cluster_id, describe): (&str, &str),
    mut delete: D,
    read: R,
) -> Option<()>
where
    D: FnMut() -> DFut,
    DFut: Future<Output = Result<(), ApiError>>,
    R: FnMut() -> RFut,
    RFut: Future<Output = Result<Option<T>, ApiError>>,
{
    let what = format!("delete {}", kind.noun);
    let deleted = ctx
        .change_cluster(api, cluster_id, &what, || {
            let sent = delete();
            async move {
                match sent.await {
                    Err(error) if error.is_not_found() => Ok(()),
                    other => other,
                }
            }
        })
        .await;
    if let Err(error) = deleted {
        diags.wait_err(format!("Could not delete the {describe}"), &error);
        return None;
    }
    let still_there = format!("the {} can still be read", kind.noun);
    let gone = await_condition(
        &api.poll,
        ctx.deadline(),
        &ctx.cancel,
        true,
        read,
        |object: Option<T>| match object {
            None => Poll::Ready(()),
            Some(_) => Poll::Pending(still_there.clone()),
        },
    )
    .await;
    if let Err(error) = gone {
        diags.wait_err(
            format!("The {describe} is being deleted but is not gone yet"),
            &error,
        );
        return None;
    }
    Some(())
}

/// The cluster ID and name of an import ID `<cluster_id>,<name>`, or an error in `diags`
/// showing the expected form.
pub fn parse_import_id(
    diags: &mut Diagnostics,
    kind: ChildKind,
    id: &str,
) -> Option<(String, String)> {
    match import::parse_cluster_child(id, kind.import_noun) {
        Ok(parts) => Some(parts),
        Err(message) => {
            diags.root_err("Invalid import ID", message);
            None
        }
    }
}

/// The object an import found, or an error in `diags` saying it does not exist or could not
/// be read.
pub fn import_outcome<T>(
    diags: &mut Diagnostics,
    kind: ChildKind,
    (cluster_id, name): (&str, &str),
    read: Result<Option<T>, ApiError>,
) -> Option<T> {
    match read {
        Ok(Some(object)) => Some(object),
        Ok(None) => {
            diags.root_err(
                format!("Cannot import a {} that does not exist", kind.noun),
                format!(
                    "Cluster {cluster_id} has no {} named {name:?} (or the cluster does not \
                     exist for this token).",
                    kind.noun
                ),
            );
            None
        }
        Err(error) => {
            diags.api_err(
                format!(
                    "Could not read {} {name:?} of cluster {cluster_id}",
                    kind.noun
                ),
                &error,
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: ChildKind = ChildKind {
        noun: "connection pool",
        title: "Connection pool",
        import_noun: "connection pool",
    };
    const CLUSTER: &str = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";

    fn api_error(status: u16) -> ApiError {
        ApiError::from_status(
            "POST",
            "/v2/databases/x/pools",
            status,
            "unprocessable_entity",
            "refused",
        )
    }

    #[test]
    fn a_vanished_child_is_dropped_and_an_error_is_reported() {
        let mut diags = Diagnostics::default();
        let found = read_outcome(&mut diags, POOL, (CLUSTER, "p"), "pool p", Ok(Some(1)));
        assert_eq!(found, Some(Some(1)));
        let gone = read_outcome::<i32>(&mut diags, POOL, (CLUSTER, "p"), "pool p", Ok(None));
        assert_eq!(gone, Some(None));
        assert!(!diags.has_errors());
        let failed = read_outcome::<i32>(
            &mut diags,
            POOL,
            (CLUSTER, "p"),
            "pool p",
            Err(api_error(500)),
        );
        assert_eq!(failed, None);
        assert!(diags.has_errors());
    }

    #[test]
    fn import_names_the_kind_and_the_expected_form() {
        let mut diags = Diagnostics::default();
        assert_eq!(parse_import_id(&mut diags, POOL, "nope"), None);
        let text = format!("{diags:?}");
        assert!(text.contains("my-connection-pool"), "{text}");

        let mut diags = Diagnostics::default();
        assert_eq!(
            parse_import_id(&mut diags, POOL, &format!("{CLUSTER},app")),
            Some((CLUSTER.to_string(), "app".to_string()))
        );
        let missing = import_outcome::<i32>(&mut diags, POOL, (CLUSTER, "app"), Ok(None));
        assert_eq!(missing, None);
        let text = format!("{diags:?}");
        assert!(
            text.contains("Cannot import a connection pool that does not exist"),
            "{text}"
        );
        assert!(
            text.contains("no connection pool named \\\"app\\\""),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_refused_create_of_an_existing_name_points_at_import() {
        let mut diags = Diagnostics::default();
        let refused = WaitError::Api(api_error(422));
        report_create_failure(
            &mut diags,
            POOL,
            (CLUSTER, "app"),
            "pool app",
            &refused,
            || async { Ok::<_, ApiError>(Some(())) },
        )
        .await;
        let text = format!("{diags:?}");
        assert!(text.contains("Connection pool already exists"), "{text}");
        assert!(text.contains(&format!("terraform import <address> {CLUSTER},app")));

        // Another failure, or a refusal with nothing of that name, is reported as it is, and
        // the lookup is not even made for failures that are not refusals.
        let mut diags = Diagnostics::default();
        let failed = WaitError::Api(api_error(500));
        report_create_failure(
            &mut diags,
            POOL,
            (CLUSTER, "app"),
            "pool app",
            &failed,
            || async { panic!("no lookup after a server error") as Result<Option<()>, ApiError> },
        )
        .await;
        let text = format!("{diags:?}");
        assert!(text.contains("Could not create the pool app"), "{text}");
        assert!(!text.contains("already exists"), "{text}");
    }
}
