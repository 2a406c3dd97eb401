//! The middleware in front of every route, the emulated API's and the `/_mock` controls'
//! alike: the URI and body limits, authentication, then (API only) rate limits, fault
//! injection, busy-cluster tracking, persistence and the request log; and the contract's error
//! bodies and headers for every answer. Handlers behind it only implement their semantics.
//!
//! The order makes a refused request cheap, whoever sends it:
//! 1. A URI (path and query) longer than [`MAX_URI_BYTES`] answers 414. hyper refuses longer
//!    request lines itself, above 64 KiB (a limit it does not let anyone change), with a
//!    bodiless 414, and request heads larger than its read buffer (about 400 KiB) with 431.
//! 2. A request without an accepted bearer token answers 401 before its body is read: the
//!    body is never buffered or parsed (see [`discard`]). `/_mock` uses the same check and the
//!    same tokens as `/v2`: its state dump carries every cluster's password.
//! 3. A body longer than [`MAX_BODY_BYTES`] answers 413 — at once when the declared length is
//!    over, or as soon as the bytes read go over, so no more than the limit is ever buffered.
//!    This is the only body limit: axum's own (2 MB) is disabled on every router, so every
//!    size over the limit gets the same answer.
//! 4. API requests only: the rate limit (401, 413 and 414 answers are not counted), faults,
//!    the handler, persistence. `/_mock` requests are test controls: never counted against a
//!    budget, never given budget headers, never logged.
//!
//! Every `/v2` request is logged, refused ones included (with a `null` body when it was not
//! read); see [`super::request_log`] for the log's bounds.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, BodyDataStream, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, EXPECT, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use serde_json::{json, Value};

use super::app::{enter_mutation, lock, App};
use super::auth_ratelimit::{
    authenticate, authenticate_basic, too_many_requests, Admission, Budget, DASHBOARD_PATH,
};
use super::error::ApiError;
use super::faults::{Fault, FaultKind};
use super::request_log::{LoggedBody, LoggedRequest};
use super::store::now_ms;

/// The largest request body any route accepts (1 MiB); nothing in the API comes close.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The longest URI (path and query) any route accepts; the API's longest is under 300 bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// How much of a refused request's body is read (and thrown away) so that its client, still
/// sending, gets to read the answer; beyond this the connection is closed instead.
const MAX_DISCARDED_BYTES: usize = 64 * 1024 * 1024;
/// The most of an error response's own body that is read to give it the contract's shape.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Which side of the emulator a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The emulated DigitalOcean API (`/v2/...`, and unknown paths).
    Api,
    /// The emulated Uncloud API (`/api/v1/...`): its own error bodies, no rate limits.
    Uncloud,
    /// The test controls under `/_mock`.
    Controls,
}

impl Surface {
    pub fn of(path: &str) -> Surface {
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        if under("/_mock") {
            Surface::Controls
        } else if under("/api/v1") {
            Surface::Uncloud
        } else {
            Surface::Api
        }
    }
}

/// What the gateway tells the handler about the request.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// Set by a `never_online` fault: transitions this request starts never finish.
    pub never_settles: bool,
    /// Set by a `provisioning_fails` fault: the Uncloud database this request creates ends
    /// in `error`.
    pub fails_provisioning: bool,
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
    /// Answer the success status with a body broken as this fault kind says.
    BreakBody(FaultKind),
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

/// A request that passed the checks every route shares.
struct Admitted {
    token: String,
    body: Bytes,
}

pub async fn gateway(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let received_ms = now_ms();
    let (parts, body) = request.into_parts();
    let surface = Surface::of(parts.uri.path());
    let path = parts.uri.path().to_string();
    let logged = match surface {
        Surface::Api => path == "/v2" || path.starts_with("/v2/"),
        Surface::Uncloud => true,
        Surface::Controls => false,
    };
    let method = parts.method.to_string();
    let query = parts.uri.query().map(str::to_string);

    let (outcome, logged_body) = match admit(&app, &parts, body).await {
        Ok(Admitted { token, body }) => {
            let logged_body = if logged {
                LoggedBody::of(&body)
            } else {
                LoggedBody::None
            };
            let request = Request::from_parts(parts, Body::from(body));
            let outcome = match surface {
                Surface::Api | Surface::Uncloud => {
                    process(&app, surface, &token, request, next).await
                }
                Surface::Controls => Outcome::answer(next.run(request).await, None),
            };
            (outcome, logged_body)
        }
        Err(refusal) => {
            let challenge = refusal.status == StatusCode::UNAUTHORIZED
                && parts.method == axum::http::Method::GET
                && parts.uri.path() == DASHBOARD_PATH;
            let mut response = refusal.into_response();
            if challenge {
                // A browser asks for the token (as the password) instead of showing the 401.
                response.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static(
                        "Basic realm=\"dbaas-mock\", charset=\"UTF-8\"",
                    ),
                );
            }
            if surface == Surface::Api {
                let budget = lock(&app.limiter).peek(None, received_ms, &app.settings());
                response = with_budget(response, budget);
            }
            (Outcome::answer(response, None), LoggedBody::None)
        }
    };
    let Outcome {
        response,
        fault,
        dropped,
        unanswered,
    } = outcome;
    let mut response = match surface {
        Surface::Uncloud => finish_uncloud_body(response).await,
        _ => finish_body(response, &request_id).await,
    };

    if logged {
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

/// The checks every route shares, cheapest first: URI length, bearer token, body size. Only
/// a request that passed the first two has its body read, and never more than the limit.
async fn admit(app: &App, parts: &Parts, body: Body) -> Result<Admitted, ApiError> {
    let uri_bytes = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        discard(parts, body.into_data_stream());
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("The request URI is longer than the {MAX_URI_BYTES} bytes allowed."),
        ));
    }
    let dashboard = parts.method == axum::http::Method::GET && parts.uri.path() == DASHBOARD_PATH;
    let token = authenticate(&parts.headers, &app.config.tokens).or_else(|| {
        dashboard
            .then(|| authenticate_basic(&parts.headers, &app.config.tokens))
            .flatten()
    });
    let Some(token) = token else {
        discard(parts, body.into_data_stream());
        return Err(ApiError::for_status(StatusCode::UNAUTHORIZED));
    };
    match read_limited(body, MAX_BODY_BYTES).await {
        BodyRead::Complete(body) => Ok(Admitted { token, body }),
        BodyRead::TooLarge(rest) => {
            discard(parts, rest);
            Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than the {MAX_BODY_BYTES} bytes allowed."),
            ))
        }
        BodyRead::Failed => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The request body could not be read.",
        )),
    }
}

enum BodyRead {
    Complete(Bytes),
    /// Over the limit; what was not read yet.
    TooLarge(BodyDataStream),
    /// The client went away or sent a malformed body.
    Failed,
}

/// Reads the body if it is at most `limit` bytes long. A declared length over the limit is
/// refused before anything is read; otherwise reading stops at the chunk that would go over.
async fn read_limited(body: Body, limit: usize) -> BodyRead {
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    let mut stream = body.into_data_stream();
    if declared > limit {
        return BodyRead::TooLarge(stream);
    }
    let mut buffered = Vec::with_capacity(declared);
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return BodyRead::Failed;
        };
        if buffered.len() + chunk.len() > limit {
            return BodyRead::TooLarge(stream);
        }
        buffered.extend_from_slice(&chunk);
    }
    BodyRead::Complete(Bytes::from(buffered))
}

/// Reads what is left of a refused request's body and throws it away, in the background while
/// the answer is sent: a client still sending its body then reads the answer instead of a
/// reset connection. Nothing is kept, and after [`MAX_DISCARDED_BYTES`] the connection is
/// closed. A client that sent `Expect: 100-continue` is waiting to be invited to send its
/// body; it is not, so nothing is read.
fn discard(parts: &Parts, mut rest: BodyDataStream) {
    let awaits_invitation = parts
        .headers
        .get(EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if awaits_invitation {
        return;
    }
    tokio::spawn(async move {
        let mut discarded = 0usize;
        while let Some(Ok(chunk)) = rest.next().await {
            discarded += chunk.len();
            if discarded > MAX_DISCARDED_BYTES {
                break;
            }
        }
    });
}

/// The API's own pipeline for an authenticated request: rate limit (DigitalOcean's only;
/// the Uncloud platform has none), busy-cluster tracking, faults, the handler, persistence.
async fn process(
    app: &Arc<App>,
    surface: Surface,
    token: &str,
    request: Request,
    next: Next,
) -> Outcome {
    let settings = app.settings();
    let now = now_ms();
    let budget = if surface == Surface::Uncloud {
        None
    } else {
        match lock(&app.limiter).admit(token, now, &settings) {
            Admission::Allowed(budget) => Some(budget),
            Admission::Limited(budget) => {
                return Outcome::answer(too_many_requests(budget, settings.retry_after_secs), None)
            }
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
        fails_provisioning: false,
    };
    let mut afterwards = Afterwards::Answer;
    if let Some(fault) = &fault {
        match fault.kind {
            FaultKind::Status => {
                let status = StatusCode::from_u16(fault.status.unwrap_or(500))
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let retry_after = fault.retry_after_secs.unwrap_or(settings.retry_after_secs);
                let response = match budget {
                    Some(budget) if status == StatusCode::TOO_MANY_REQUESTS => {
                        too_many_requests(budget, retry_after)
                    }
                    None if status == StatusCode::TOO_MANY_REQUESTS => {
                        let mut response = ApiError::for_status(status).into_response();
                        response
                            .headers_mut()
                            .insert(RETRY_AFTER, HeaderValue::from(retry_after));
                        response
                    }
                    _ => with_budget(ApiError::for_status(status).into_response(), budget),
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
            FaultKind::ProvisioningFails => ctx.fails_provisioning = true,
            FaultKind::AcceptedWithoutBody => afterwards = Afterwards::AcceptWithoutBody,
            kind @ (FaultKind::EmptyBody
            | FaultKind::EmptyObject
            | FaultKind::TruncatedBody
            | FaultKind::MissingFields) => afterwards = Afterwards::BreakBody(kind),
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
    if let Afterwards::BreakBody(kind) = afterwards {
        if response.status().is_success() {
            response = broken_body(response, kind).await;
        }
    }
    if let Err(error) = app.persist().await {
        tracing::error!(error = %error, "dbaas-mock could not write its state file");
        // An answer means "in the state file": a change that could not be saved is not acknowledged
        // (the client sees a server error and treats the change as ambiguous).
        if response.status().is_success() {
            response = ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The change was made but could not be written to the emulator's state file.",
            )
            .into_response();
        }
    }
    Outcome {
        response: with_budget(response, budget),
        fault,
        dropped: afterwards == Afterwards::DropResponse,
        unanswered: false,
    }
}

/// The success `response` with its body broken the way `kind` says (the request itself was
/// performed): the answers of a server that accepted a create but did not describe it.
async fn broken_body(response: Response, kind: FaultKind) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let broken: Vec<u8> = match kind {
        FaultKind::EmptyBody => Vec::new(),
        FaultKind::EmptyObject => b"{}".to_vec(),
        FaultKind::TruncatedBody => bytes[..bytes.len() / 2].to_vec(),
        FaultKind::MissingFields => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(envelope)) => {
                let reduced: serde_json::Map<String, Value> = envelope
                    .into_iter()
                    .map(|(key, value)| {
                        let kept = match value {
                            Value::Object(object) => Value::Object(
                                object
                                    .into_iter()
                                    .filter(|(name, _)| name == "id" || name == "name")
                                    .take(1)
                                    .collect(),
                            ),
                            other => other,
                        };
                        (key, kept)
                    })
                    .collect();
                serde_json::to_vec(&Value::Object(reduced)).unwrap_or_default()
            }
            _ => bytes.to_vec(),
        },
        _ => bytes.to_vec(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    if broken.is_empty() {
        parts.headers.remove(CONTENT_TYPE);
    }
    Response::from_parts(parts, Body::from(broken))
}

fn with_budget(mut response: Response, budget: impl Into<Option<Budget>>) -> Response {
    if let Some(budget) = budget.into() {
        budget.apply(response.headers_mut());
    }
    response
}

/// Gives every Uncloud error the platform's body, `{"error": "<message>"}`: the handlers' own
/// already have it; the gateway's refusals and the router's are rewritten from theirs.
async fn finish_uncloud_body(response: Response) -> Response {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let message = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) if map.get("error").is_some_and(Value::is_string) => {
            return Response::from_parts(parts, Body::from(bytes));
        }
        Ok(Value::Object(map)) => map
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
    .or_else(|| {
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        (!text.is_empty()).then_some(text)
    })
    .unwrap_or_else(|| ApiError::for_status(parts.status).message);
    let bytes = Bytes::from(json!({ "error": message }).to_string());
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(bytes))
}

/// Gives every error the contract's body with this request's `request_id`, including the
/// bodiless or plain-text errors of the router itself (405, extractor rejections).
async fn finish_body(response: Response, request_id: &str) -> Response {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
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
