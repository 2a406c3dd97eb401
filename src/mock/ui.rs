//! `GET /_mock/ui`: a read-only dashboard of the emulator (placeholder; the page lands next).

use std::sync::Arc;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::app::App;

pub async fn page(State(_app): State<Arc<App>>) -> Response {
    Html("<!doctype html><title>dbaas-mock</title>").into_response()
}
