//! [`MockServer`]: the listener, the connection loop, and the routing between the API and the
//! `/_mock` controls, both behind the same [`gateway`] (limits, then authentication).
//!
//! Connections are served with hyper directly (not `axum::serve`) because the `drop` faults
//! must close a connection without answering, which only the connection owner can do. hyper's
//! own limits stay at their defaults, above the gateway's: a request head may be about 400 KiB
//! and a request line 64 KiB, so a URI over [`MAX_URI_BYTES`] reaches the gateway and gets the
//! contract's 414.
//!
//! [`MAX_URI_BYTES`]: super::gateway::MAX_URI_BYTES

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Request, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse as _, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::app::App;
use super::config::MockConfig;
use super::error::ApiError;
use super::gateway::{gateway, DropConnection, Surface};
use super::{
    clusters, controls, engine_config, firewall, ops, pools, tags, topics, uncloud, users,
};

/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running emulator. Dropping it stops the listener; [`MockServer::shutdown`] also waits for
/// requests in flight and writes the state file.
pub struct MockServer {
    addr: SocketAddr,
    app: Arc<App>,
    stop: CancellationToken,
    accept_loop: Option<tokio::task::JoinHandle<()>>,
}

impl MockServer {
    /// Binds the listener (port 0 picks a free one), loads the state file if configured, and
    /// starts serving on the current Tokio runtime.
    pub async fn start(config: MockConfig) -> anyhow::Result<MockServer> {
        config.check_exposure().map_err(anyhow::Error::msg)?;
        let app = Arc::new(App::new(config.clone())?);
        // With `--real-engines`, the servers of the clusters in the state file come back
        // before the emulator listens: `online` means reachable from the first request.
        if let Err(error) = app.reconcile_servers().await {
            if let Some(backing) = &app.backing {
                backing.shutdown().await;
            }
            anyhow::bail!("{}", error.message);
        }
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let routes = Arc::new(Routes::new(&app));
        let stop = CancellationToken::new();
        let accept_loop = tokio::spawn(accept_connections(listener, routes, stop.clone()));
        Ok(MockServer {
            addr,
            app,
            stop,
            accept_loop: Some(accept_loop),
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (up to a few seconds), and writes the
    /// state file if one is configured.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(accept_loop) = self.accept_loop.take() {
            if let Err(error) = accept_loop.await {
                tracing::error!(error = %error, "dbaas-mock accept loop failed");
            }
        }
        if let Err(error) = self.app.persist().await {
            tracing::error!(error = %error, "dbaas-mock could not write its state file");
        }
        if let Some(backing) = &self.app.backing {
            backing.shutdown().await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The two routers, the emulated API and the controls, each behind the gateway.
struct Routes {
    api: Router,
    controls: Router,
    app: Arc<App>,
}

impl Routes {
    fn new(app: &Arc<App>) -> Self {
        let api = Router::new()
            .merge(clusters::routes())
            .merge(engine_config::routes())
            .merge(firewall::routes())
            .merge(ops::routes())
            .merge(pools::routes())
            .merge(topics::routes())
            .merge(users::routes())
            .merge(tags::routes())
            .merge(uncloud::routes())
            .fallback(unknown_path)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(Arc::clone(app));
        Routes {
            api: behind_gateway(api, app),
            controls: behind_gateway(controls::routes(Arc::clone(app)), app),
            app: Arc::clone(app),
        }
    }

    async fn dispatch(&self, request: Request<Incoming>) -> Result<Response, ConnectionDropped> {
        let request = request.map(Body::new);
        let surface = Surface::of(request.uri().path());
        let router = match surface {
            Surface::Controls => self.controls.clone(),
            Surface::Api | Surface::Uncloud => self.api.clone(),
        };
        // With `--real-engines`, a change of a cluster reaches its server before the answer
        // (a reset under /_mock/ stops every server).
        let changes_servers = self.app.backing.is_some()
            && !matches!(*request.method(), Method::GET | Method::HEAD)
            && matches!(surface, Surface::Api | Surface::Controls);
        let app = Arc::clone(&self.app);
        // A real API finishes a request whose client hung up. hyper drops this future when the
        // client goes away, so the work runs in its own task, which that drop does not cancel.
        let handled = tokio::spawn(async move {
            let response = match router.oneshot(request).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            };
            if changes_servers && response.status().is_success() {
                if let Err(error) = app.reconcile_servers().await {
                    return error.into_response();
                }
            }
            response
        });
        let response = match handled.await {
            Ok(response) => response,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only a runtime shutting down cancels the task; there is nobody left to answer.
            Err(_) => return Err(ConnectionDropped),
        };
        if response.extensions().get::<DropConnection>().is_some() {
            Err(ConnectionDropped)
        } else {
            Ok(response)
        }
    }
}

/// Puts the gateway in front of every route and fallback of `router`. The gateway enforces the
/// one body limit, so axum's own (which would answer differently) is switched off.
fn behind_gateway(router: Router, app: &Arc<App>) -> Router {
    router
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(Arc::clone(app), gateway))
}

async fn unknown_path() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// Returned to hyper to make it close the connection without writing a response.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn accept_connections(listener: TcpListener, routes: Arc<Routes>, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&routes), stop.clone()));
                }
                Err(error) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!(error = %error, "dbaas-mock could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

async fn serve_connection(stream: TcpStream, routes: Arc<Routes>, stop: CancellationToken) {
    let service = hyper::service::service_fn(move |request| {
        let routes = Arc::clone(&routes);
        async move { routes.dispatch(request).await }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_connection_end(result),
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            log_connection_end(connection.await);
        }
    }
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(error = %error, "dbaas-mock connection ended");
    }
}
