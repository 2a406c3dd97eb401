//! The middleware in front of every API route: authentication, rate limits, fault injection,
//! busy-cluster tracking, the contract's error bodies and headers, persistence and the request
//! log. Handlers behind it only implement the API's semantics.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::app::{enter_mutation, lock, App};
use super::auth_ratelimit::{authenticate, too_many_requests, Admission, Budget};
use super::error::ApiError;
use super::faults::{Fault, FaultKind};
use super::request_log::LoggedRequest;
use super::store::now_ms;

/// Larger bodies are refused; nothing in the API comes close.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// What the gateway tells the handler about the request.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Set by a `never_online` fault: transitions this request starts never finish.
    pub never_settles: bool,
}

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// What happens after the handler ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Afterwards {
    Answer,
    DropResponse,
    AcceptWithoutBody,
}

struct Outcome {
    response: Response,
    fault: Option<Fault>,
    /// Whether the connection is closed instead of answering.
    dropped: bool,
    /// Whether the request never reached a handler and nothing was answered.
    unanswered: bool,
}

impl Outcome {
    fn answer(response: Response, fault: Option<Fault>) -> Self {
        Outcome {
            response,
            fault,
            dropped: false,
            unanswered: false,
        }
    }
}

pub async fn gateway(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let received_ms = now_ms();
    let (parts, body) = request.into_parts();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);

    let (outcome, logged_body) = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            let logged_body = loggable(&bytes);
            let request = Request::from_parts(parts, Body::from(bytes));
            (process(&app, request, next).await, logged_body)
        }
        Err(_) => {
            let error = ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large");
            let budget = lock(&app.limiter).peek(None, received_ms, &app.settings());
            let response = with_budget(error.into_response(), budget);
            (Outcome::answer(response, None), Value::Null)
        }
    };
    let Outcome {
        response,
        fault,
        dropped,
        unanswered,
    } = outcome;
    let mut response = finish_body(response, &request_id).await;

    if path == "/v2" || path.starts_with("/v2/") {
        lock(&app.log).push(LoggedRequest {
            seq: 0,
            method,
            path,
            query,
            status: (!unanswered).then(|| response.status().as_u16()),
            body: logged_body,
            at_ms: received_ms,
            request_id,
            fault: fault.map(|f| f.id),
        });
    }
    if dropped {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

async fn process(app: &Arc<App>, request: Request, next: Next) -> Outcome {
    let settings = app.settings();
    let now = now_ms();
    let Some(token) = authenticate(request.headers(), &app.config.tokens) else {
        let budget = lock(&app.limiter).peek(None, now, &settings);
        let response = ApiError::for_status(StatusCode::UNAUTHORIZED).into_response();
        return Outcome::answer(with_budget(response, budget), None);
    };
    let admission = lock(&app.limiter).admit(&token, now, &settings);
    let budget = match admission {
        Admission::Allowed(budget) => budget,
        Admission::Limited(budget) => {
            return Outcome::answer(too_many_requests(budget, settings.retry_after_secs), None)
        }
    };

    let _mutation = match enter_mutation(
        &app.mutations,
        request.method(),
        request.uri().path(),
        settings.reject_concurrent_mutations,
    ) {
        Ok(guard) => guard,
        Err(busy) => return Outcome::answer(with_budget(busy.into_response(), budget), None),
    };

    let fault = lock(&app.faults).take(request.method().as_str(), request.uri().path());
    let mut ctx = RequestCtx {
        never_settles: false,
    };
    let mut afterwards = Afterwards::Answer;
    if let Some(fault) = &fault {
        match fault.kind {
            FaultKind::Status => {
                let status = StatusCode::from_u16(fault.status.unwrap_or(500))
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let response = if status == StatusCode::TOO_MANY_REQUESTS {
                    let retry_after = fault.retry_after_secs.unwrap_or(settings.retry_after_secs);
                    too_many_requests(budget, retry_after)
                } else {
                    with_budget(ApiError::for_status(status).into_response(), budget)
                };
                return Outcome::answer(response, Some(fault.clone()));
            }
            FaultKind::NotFound => {
                let response = with_budget(ApiError::not_found().into_response(), budget);
                return Outcome::answer(response, Some(fault.clone()));
            }
            FaultKind::Drop => {
                return Outcome {
                    response: StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    fault: Some(fault.clone()),
                    dropped: true,
                    unanswered: true,
                }
            }
            FaultKind::Delay => {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms.unwrap_or(0))).await
            }
            FaultKind::DropAfterHandling => afterwards = Afterwards::DropResponse,
            FaultKind::NeverOnline => ctx.never_settles = true,
            FaultKind::AcceptedWithoutBody => afterwards = Afterwards::AcceptWithoutBody,
        }
    }

    let mut request = request;
    request.extensions_mut().insert(ctx);
    let mut response = next.run(request).await;
    if afterwards == Afterwards::AcceptWithoutBody && response.status().is_success() {
        response = (
            StatusCode::ACCEPTED,
            axum::Json(json!({
                "id": "accepted",
                "message": "The request was accepted and is still being processed; the resource is still provisioning."
            })),
        )
            .into_response();
    }
    if let Err(error) = app.persist().await {
        tracing::error!(error = %error, "dbaas-mock could not write its state file");
    }
    Outcome {
        response: with_budget(response, budget),
        fault,
        dropped: afterwards == Afterwards::DropResponse,
        unanswered: false,
    }
}

fn with_budget(mut response: Response, budget: Budget) -> Response {
    budget.apply(response.headers_mut());
    response
}

/// Gives every error the contract's body with this request's `request_id`, including the
/// bodiless or plain-text errors of the router itself (405, extractor rejections).
async fn finish_body(response: Response, request_id: &str) -> Response {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
    let mut error = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) if map.contains_key("id") && map.contains_key("message") => map,
        _ => {
            let message = String::from_utf8_lossy(&bytes).trim().to_string();
            let mut error = ApiError::for_status(parts.status);
            if !message.is_empty() {
                error.message = message;
            }
            error.fields()
        }
    };
    error.insert("request_id".into(), Value::String(request_id.to_string()));
    let bytes = Bytes::from(Value::Object(error).to_string());
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(bytes))
}

fn loggable(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}
