//! StopProvider reaches the framework's stop token, which every wait selects on.
//!
//! The token is process-global (a `OnceLock`) and cannot be reset, so this check lives alone
//! in its own test binary: cancelling it here cannot disturb any other test.

mod protocol_support;

use std::sync::Arc;
use std::time::Duration;

use dbaas::framework::context::{ProviderData, RequestContext};
use dbaas::framework::host::Host;
use dbaas::framework::stop::stop_token;
use protocol_support::{pb, EmptyProviderBlock, InProcess};

#[tokio::test(flavor = "multi_thread")]
async fn stop_provider_cancels_the_stop_token_that_requests_hold() {
    let data = Arc::new(ProviderData::default());
    let host = Host::new(EmptyProviderBlock, data.clone());
    let server = InProcess::start(Arc::new(host)).await;
    let mut client = server.provider().await;

    // What an in-flight operation holds: a request context made before the stop.
    let in_flight = RequestContext::new(data);
    let held = stop_token();
    assert!(
        !held.is_cancelled() && !in_flight.cancel.is_cancelled(),
        "nothing has asked for a stop yet"
    );
    let waiter = tokio::spawn({
        let cancel = in_flight.cancel.clone();
        async move { cancel.cancelled().await }
    });

    let response = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider")
        .into_inner();
    assert_eq!(response.error, "");

    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("a wait on the request's cancel token must end after StopProvider")
        .expect("the waiting task");
    assert!(held.is_cancelled());
    assert!(
        stop_token().is_cancelled(),
        "requests started after the stop see it too"
    );

    // The server itself keeps serving: Terraform still talks to a stopped provider.
    client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata after StopProvider");
    server.stop().await.expect("serve_with ends cleanly");
}
