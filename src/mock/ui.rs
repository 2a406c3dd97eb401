//! `GET /_mock/ui`: a read-only dashboard of the emulator, for people (tests read
//! `/_mock/state` and `/_mock/requests`).
//!
//! One server-rendered HTML page, no JavaScript, inline CSS, refreshed by the browser every
//! 5 seconds: a summary (clusters, Uncloud databases, requests logged, the lifecycle delays and
//! rate limits), every cluster (engine, version, status, size, region, nodes, the host and port
//! of its `connection`) with its users, databases, connection pools and Kafka topics, the
//! Uncloud platform's databases, and the latest [`MAX_REQUESTS_SHOWN`] requests of the log,
//! newest first, with their status codes.
//!
//! It sits behind the same gateway as every `/_mock` control (an accepted bearer token, never
//! logged, never rate limited), and it shows no secret: passwords are [`MASK`]ed (the same
//! mask whatever their length), client certificates and keys are only mentioned, connection
//! URIs (which embed the password) are not shown (only host and port), request bodies are not
//! shown, and of a request's query only the names of parameters are shown, with the values of
//! the API's known non-secret ones ([`SHOWN_QUERY_VALUES`]). Every value is escaped
//! ([`escape`]) for text and double-quoted attributes alike, and the response forbids scripts,
//! framing and caching (`Content-Security-Policy`, `X-Frame-Options`, `Cache-Control:
//! no-store`), so a name like `<script>` is only ever text.
//!
//! Stable hooks for tests and scrapers: `#summary-clusters` / `#summary-requests` (with
//! `data-value`), `tr#cluster-<id>` in the clusters table (with `data-cluster-id`,
//! `data-cluster-name`, `data-engine`, `data-status`), `section#cluster-<id>-details` with rows
//! `tr.user[data-user]`, `li.db[data-db]`, `tr.pool[data-pool]`, `tr.topic[data-topic]`;
//! `tr#uncloud-<id>`; and `tr.request` (with `data-seq`, `data-method`, `data-path`,
//! `data-status`: the code, or `none` when the connection was dropped unanswered).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::response::{IntoResponse, Response};

use super::app::{lock, App};
use super::backing::Backing;
use super::clusters;
use super::config::Settings;
use super::request_log::LoggedRequest;
use super::store::{Account, Cluster, ClusterStatus, Store, TopicState, UserRole};

/// How many requests of the log the page shows (the newest).
pub const MAX_REQUESTS_SHOWN: usize = 50;
/// What the page shows instead of a password: the same whatever the password's length.
pub const MASK: &str = "••••••";
/// Query parameters whose values the page shows; any other parameter is shown by name only,
/// its value masked (the API takes no secret in a query, but a client could send one).
pub const SHOWN_QUERY_VALUES: [&str; 3] = ["tag_name", "page", "per_page"];
/// Longer paths are cut for display (the gateway admits URIs up to 8 KiB).
const MAX_PATH_SHOWN: usize = 160;
/// The browser reloads the page this often.
const REFRESH_SECS: u32 = 5;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

pub async fn page(State(app): State<Arc<App>>) -> Response {
    let html = render_page(&app);
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (CONTENT_SECURITY_POLICY, CSP),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (X_FRAME_OPTIONS, "DENY"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// Escapes `text` for HTML text and for double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The real database server behind the cluster, for the clusters table's "Server" column
/// (the column is shown when at least one cluster has a cell): with `--real-engines`, what runs
/// where and whether it is ready (a failure says why; never a secret). The caller escapes it.
fn server_cell(cluster: &Cluster, backing: Option<&Backing>) -> Option<String> {
    let server = backing?.describe(cluster)?;
    let program = server["engine"].as_str().unwrap_or("server");
    let mut cell = format!(
        "{program} on {}:{}",
        server["host"].as_str().unwrap_or(""),
        server["port"]
    );
    if let Some(pool_port) = server["pool_port"].as_u64() {
        cell.push_str(&format!(", PgBouncer :{pool_port}"));
    }
    cell.push_str(&format!(
        " · {}",
        server["state"].as_str().unwrap_or("unknown")
    ));
    if let Some(error) = server["error"].as_str() {
        cell.push_str(&format!(": {error}"));
    }
    Some(cell)
}

/// What the page shows of one logged request (never its body).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RequestRow {
    seq: u64,
    at_ms: u64,
    method: String,
    path: String,
    query: Option<String>,
    status: Option<u16>,
    fault: Option<String>,
}

impl RequestRow {
    fn of(entry: &LoggedRequest) -> RequestRow {
        RequestRow {
            seq: entry.seq,
            at_ms: entry.at_ms,
            method: entry.method.clone(),
            path: entry.path.clone(),
            query: entry.query.clone(),
            status: entry.status,
            fault: entry.fault.clone(),
        }
    }
}

/// What the page shows of one Uncloud database (never its credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
struct UncloudRow {
    id: String,
    name: String,
    db_type: String,
    version: String,
    plan_id: String,
    region: String,
    status: &'static str,
    host: String,
}

/// The page's parts, gathered one lock at a time.
struct Dashboard {
    now_ms: u64,
    settings: Settings,
    cluster_count: usize,
    clusters_html: String,
    uncloud: Vec<UncloudRow>,
    /// Entries in the log.
    logged: usize,
    /// The newest entries, newest first.
    requests: Vec<RequestRow>,
}

fn render_page(app: &App) -> String {
    let (cluster_count, clusters_html, now_ms) = app.read(|store| {
        (
            store.data.clusters.len(),
            render_clusters(store, app.backing.as_deref()),
            store.now_ms,
        )
    });
    let uncloud = app.uncloud(|store, now, settings| {
        store
            .data
            .databases
            .iter()
            .map(|db| UncloudRow {
                id: db.id.clone(),
                name: db.name.clone(),
                db_type: db.db_type.clone(),
                version: db.version.clone(),
                plan_id: db.plan_id.clone(),
                region: db.region.clone(),
                status: db.status(now, settings),
                host: db.host(),
            })
            .collect::<Vec<_>>()
    });
    let (logged, requests) = latest_requests(&lock(&app.log).entries().collect::<Vec<_>>());
    render_document(&Dashboard {
        now_ms,
        settings: app.settings(),
        cluster_count,
        clusters_html,
        uncloud,
        logged,
        requests,
    })
}

/// The number of entries, and the newest [`MAX_REQUESTS_SHOWN`] of them, newest first.
fn latest_requests(entries: &[&LoggedRequest]) -> (usize, Vec<RequestRow>) {
    let rows = entries
        .iter()
        .rev()
        .take(MAX_REQUESTS_SHOWN)
        .map(|entry| RequestRow::of(entry))
        .collect();
    (entries.len(), rows)
}

fn render_document(dashboard: &Dashboard) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">"
    );
    out.push_str("<title>dbaas-mock dashboard</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    render_summary(&mut out, dashboard);
    out.push_str("<main>\n");
    out.push_str(&dashboard.clusters_html);
    out.push_str("<div class=\"lower\">\n<div class=\"left\">\n");
    render_uncloud(&mut out, &dashboard.uncloud);
    out.push_str("</div>\n<div class=\"right\">\n");
    render_requests(&mut out, dashboard.logged, &dashboard.requests);
    out.push_str("</div>\n</div>\n</main>\n</body>\n</html>\n");
    out
}

fn render_summary(out: &mut String, dashboard: &Dashboard) {
    let settings = &dashboard.settings;
    let limits = match (settings.rate_limit_per_minute, settings.rate_limit_per_hour) {
        (None, None) => "none".to_string(),
        (Some(minute), None) => format!("{minute}/min"),
        (None, Some(hour)) => format!("{hour}/h"),
        (Some(minute), Some(hour)) => format!("{minute}/min, {hour}/h"),
    };
    out.push_str("<header>\n<h1>dbaas-mock <span class=\"sub\">read-only dashboard</span></h1>\n");
    out.push_str("<div class=\"stats\">\n");
    stat(out, "summary-clusters", dashboard.cluster_count, "clusters");
    if !dashboard.uncloud.is_empty() {
        stat(
            out,
            "summary-uncloud",
            dashboard.uncloud.len(),
            "Uncloud databases",
        );
    }
    stat(out, "summary-requests", dashboard.logged, "requests logged");
    let _ = writeln!(
        out,
        "<div class=\"stat wide\"><span class=\"label\">provision</span> {} ms \
         <span class=\"label\">transition</span> {} ms <span class=\"label\">rate limits</span> {}\
         </div>",
        settings.provision_delay_ms,
        settings.transition_delay_ms,
        escape(&limits)
    );
    out.push_str("</div>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Rendered at {} UTC, refreshed every {REFRESH_SECS} s. Passwords and \
         keys are masked ({MASK}); <code>GET /_mock/state</code> has them.</p>\n</header>",
        clock(dashboard.now_ms)
    );
}

fn stat(out: &mut String, id: &str, value: usize, label: &str) {
    let _ = writeln!(
        out,
        "<div class=\"stat\" id=\"{id}\" data-value=\"{value}\"><b>{value}</b> {}</div>",
        escape(label)
    );
}

/// The clusters table and each cluster's children, from the settled store.
fn render_clusters(store: &Store, backing: Option<&Backing>) -> String {
    let account = &store.data.account;
    let clusters = &store.data.clusters;
    let mut out = String::new();
    out.push_str("<section id=\"clusters\">\n<h2>Clusters</h2>\n");
    if clusters.is_empty() {
        out.push_str("<p class=\"empty\">No clusters. Create one with <code>POST /v2/databases</code>.</p>\n</section>\n");
        return out;
    }
    let servers: Vec<Option<String>> = clusters.iter().map(|c| server_cell(c, backing)).collect();
    let with_servers = servers.iter().any(Option::is_some);
    out.push_str(
        "<table class=\"clusters\">\n<thead><tr><th>Name</th><th>Engine</th><th>Status</th>\
         <th>Size</th><th>Region</th><th class=\"num\">Nodes</th><th>Connection</th>",
    );
    if with_servers {
        out.push_str("<th>Server</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (cluster, server) in clusters.iter().zip(&servers) {
        cluster_row(&mut out, cluster, account, with_servers.then_some(server));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out.push_str("<section id=\"cluster-details\">\n<div class=\"cards\">\n");
    for cluster in clusters.iter() {
        cluster_details(&mut out, cluster);
    }
    out.push_str("</div>\n</section>\n");
    out
}

fn cluster_row(
    out: &mut String,
    cluster: &Cluster,
    account: &Account,
    server: Option<&Option<String>>,
) {
    let id = escape(&cluster.id);
    let name = escape(&cluster.name);
    let engine = cluster.engine.slug();
    let status = cluster.status.as_str();
    let _ = write!(
        out,
        "<tr class=\"cluster\" id=\"cluster-{id}\" data-cluster-id=\"{id}\" \
         data-cluster-name=\"{name}\" data-engine=\"{engine}\" data-status=\"{status}\">"
    );
    let _ = write!(
        out,
        "<td class=\"name\"><a href=\"#cluster-{id}-details\">{name}</a>\
         <div class=\"id\">{id}</div>"
    );
    if !cluster.tags.is_empty() {
        out.push_str("<div class=\"tags\">");
        for tag in &cluster.tags {
            let _ = write!(out, "<span class=\"tag\">{}</span>", escape(tag));
        }
        out.push_str("</div>");
    }
    out.push_str("</td>");
    let _ = write!(
        out,
        "<td class=\"engine\">{engine} <span class=\"version\">{}</span></td>",
        escape(&cluster.version)
    );
    let _ = write!(
        out,
        "<td class=\"status\"><span class=\"badge {}\">{status}</span></td>",
        cluster_status_class(cluster.status)
    );
    let _ = write!(
        out,
        "<td class=\"size\">{}</td><td class=\"region\">{}</td><td class=\"num nodes\">{}</td>",
        escape(&cluster.size),
        escape(&cluster.region),
        cluster.num_nodes
    );
    let _ = write!(
        out,
        "<td class=\"connection\"><code>{}</code></td>",
        escape(&connection_address(cluster, account))
    );
    if let Some(server) = server {
        let _ = write!(
            out,
            "<td class=\"server\">{}</td>",
            escape(server.as_deref().unwrap_or("—"))
        );
    }
    out.push_str("</tr>\n");
}

/// `host:port` of the cluster's `connection`, as the API reports it.
fn connection_address(cluster: &Cluster, account: &Account) -> String {
    let rendered = clusters::render(cluster, account);
    let connection = &rendered["connection"];
    match (connection["host"].as_str(), connection["port"].as_u64()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => "—".to_string(),
    }
}

fn cluster_status_class(status: ClusterStatus) -> &'static str {
    match status {
        ClusterStatus::Online => "ok",
        ClusterStatus::Creating | ClusterStatus::Forking => "busy",
        ClusterStatus::Resizing | ClusterStatus::Migrating => "warn",
    }
}

fn cluster_details(out: &mut String, cluster: &Cluster) {
    let id = escape(&cluster.id);
    let name = escape(&cluster.name);
    let engine = cluster.engine;
    let _ = writeln!(
        out,
        "<section class=\"card\" id=\"cluster-{id}-details\" data-cluster-id=\"{id}\" \
         data-cluster-name=\"{name}\">\n<h3>{name} <span class=\"engine\">{} {}</span> \
         <span class=\"badge {}\">{}</span></h3>",
        engine.slug(),
        escape(&cluster.version),
        cluster_status_class(cluster.status),
        cluster.status.as_str()
    );

    out.push_str("<h4>Users</h4>\n<table class=\"users\"><thead><tr><th>Name</th><th>Role</th><th>Password</th></tr></thead><tbody>\n");
    for user in &cluster.users {
        let role = match user.role {
            UserRole::Primary => "primary",
            UserRole::Normal => "normal",
        };
        let extra = if user.access_cert.is_some() || user.access_key.is_some() {
            " <span class=\"muted\">+ client cert</span>"
        } else {
            ""
        };
        let user_name = escape(&user.name);
        let _ = writeln!(
            out,
            "<tr class=\"user\" data-user=\"{user_name}\"><td>{user_name}</td><td>{role}</td>\
             <td class=\"secret\">{MASK}{extra}</td></tr>"
        );
    }
    out.push_str("</tbody></table>\n");

    if engine.supports_dbs() {
        out.push_str("<h4>Databases</h4>\n");
        if cluster.dbs.is_empty() {
            out.push_str("<p class=\"empty\">none</p>\n");
        } else {
            out.push_str("<ul class=\"dbs\">");
            for db in &cluster.dbs {
                let db = escape(db);
                let _ = write!(out, "<li class=\"db\" data-db=\"{db}\">{db}</li>");
            }
            out.push_str("</ul>\n");
        }
    }

    if engine.is_postgres() || !cluster.pools.is_empty() {
        out.push_str("<h4>Connection pools</h4>\n");
        if cluster.pools.is_empty() {
            out.push_str("<p class=\"empty\">none</p>\n");
        } else {
            out.push_str("<table class=\"pools\"><thead><tr><th>Name</th><th>Mode</th><th class=\"num\">Size</th><th>DB</th><th>User</th></tr></thead><tbody>\n");
            for pool in &cluster.pools {
                let pool_name = escape(&pool.name);
                let user = match &pool.user {
                    Some(user) => escape(user),
                    None => "<span class=\"muted\">inbound</span>".to_string(),
                };
                let _ = writeln!(
                    out,
                    "<tr class=\"pool\" data-pool=\"{pool_name}\"><td>{pool_name}</td><td>{}</td>\
                     <td class=\"num\">{}</td><td>{}</td><td>{user}</td></tr>",
                    escape(&pool.mode),
                    pool.size,
                    escape(&pool.db)
                );
            }
            out.push_str("</tbody></table>\n");
        }
    }

    if engine == super::engine::Engine::Kafka || !cluster.topics.is_empty() {
        out.push_str("<h4>Topics</h4>\n");
        if cluster.topics.is_empty() {
            out.push_str("<p class=\"empty\">none</p>\n");
        } else {
            out.push_str("<table class=\"topics\"><thead><tr><th>Name</th><th>State</th><th class=\"num\">Partitions</th><th class=\"num\">Replicas</th></tr></thead><tbody>\n");
            for topic in &cluster.topics {
                let (state, class) = match topic.state {
                    TopicState::Active => ("active", "ok"),
                    TopicState::Configuring => ("configuring", "busy"),
                };
                let topic_name = escape(&topic.name);
                let _ = writeln!(
                    out,
                    "<tr class=\"topic\" data-topic=\"{topic_name}\"><td>{topic_name}</td>\
                     <td><span class=\"badge {class}\">{state}</span></td>\
                     <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    topic.partition_count, topic.replication_factor
                );
            }
            out.push_str("</tbody></table>\n");
        }
    }
    out.push_str("</section>\n");
}

fn render_uncloud(out: &mut String, databases: &[UncloudRow]) {
    if databases.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"uncloud\">\n<h2>Uncloud databases</h2>\n<table class=\"uncloud\">\
         <thead><tr><th>Name</th><th>Type</th><th>Status</th><th>Plan</th><th>Region</th>\
         <th>Host</th></tr></thead><tbody>\n",
    );
    for db in databases {
        let id = escape(&db.id);
        let class = match db.status {
            "running" => "ok",
            "provisioning" => "busy",
            "error" => "bad",
            _ => "gone",
        };
        let _ = writeln!(
            out,
            "<tr class=\"uncloud-db\" id=\"uncloud-{id}\" data-status=\"{}\"><td>{}<div class=\"id\">{id}</div></td>\
             <td>{} <span class=\"version\">{}</span></td><td><span class=\"badge {class}\">{}</span></td>\
             <td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            db.status,
            escape(&db.name),
            escape(&db.db_type),
            escape(&db.version),
            db.status,
            escape(&db.plan_id),
            escape(&db.region),
            escape(&db.host)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn render_requests(out: &mut String, logged: usize, requests: &[RequestRow]) {
    let _ = writeln!(
        out,
        "<section id=\"requests\">\n<h2>Latest requests <span class=\"muted\">({} of {logged}, \
         newest first)</span></h2>",
        requests.len()
    );
    if requests.is_empty() {
        out.push_str("<p class=\"empty\">No requests yet.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table class=\"requests\"><thead><tr><th class=\"num\">#</th><th>Time (UTC)</th>\
         <th>Method</th><th>Path</th><th>Status</th></tr></thead><tbody>\n",
    );
    for request in requests {
        let (status, class) = match request.status {
            Some(code) => (code.to_string(), status_class(code)),
            None => ("none".to_string(), "gone"),
        };
        let shown = shown_target(&request.path, request.query.as_deref());
        let method = escape(&request.method);
        let fault = match &request.fault {
            Some(fault) => format!(" <span class=\"fault\">fault {}</span>", escape(fault)),
            None => String::new(),
        };
        let status_text = if request.status.is_some() {
            status.clone()
        } else {
            "dropped".to_string()
        };
        let _ = writeln!(
            out,
            "<tr class=\"request\" data-seq=\"{}\" data-method=\"{method}\" data-path=\"{}\" \
             data-status=\"{status}\"><td class=\"num muted\">{}</td><td class=\"time\">{}</td>\
             <td class=\"method\">{method}</td><td class=\"path\"><code>{}</code>{fault}</td>\
             <td><span class=\"badge {class}\">{status_text}</span></td></tr>",
            request.seq,
            escape(&shorten(&request.path)),
            request.seq,
            clock(request.at_ms),
            escape(&shown)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// The colour of a status code by its class.
fn status_class(code: u16) -> &'static str {
    match code {
        200..=299 => "ok",
        300..=399 => "busy",
        400..=499 => "warn",
        _ => "bad",
    }
}

/// The path and query as the page shows them: cut at [`MAX_PATH_SHOWN`] characters, and of the
/// query only the parameter names, with values for [`SHOWN_QUERY_VALUES`] only.
fn shown_target(path: &str, query: Option<&str>) -> String {
    let mut shown = shorten(path);
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        let parameters: Vec<String> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) if SHOWN_QUERY_VALUES.contains(&key) => {
                    format!("{key}={}", shorten(value))
                }
                Some((key, _)) => format!("{}={MASK}", shorten(key)),
                None => shorten(pair),
            })
            .collect();
        shown.push('?');
        shown.push_str(&shorten(&parameters.join("&")));
    }
    shown
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_PATH_SHOWN {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_PATH_SHOWN).collect();
    cut.push('…');
    cut
}

/// `HH:MM:SS.mmm` (UTC) of a time in milliseconds since the Unix epoch.
fn clock(ms: u64) -> String {
    let day_ms = ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000
    )
}

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1d2430; --muted: #6b7486; --line: #e3e7ee; --bg: #f5f7fa;
  --card: #ffffff; --accent: #0b63ce; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background: #14213d; color: #fff; padding: 14px 24px 10px; }
h1 { margin: 0 0 8px; font-size: 20px; font-weight: 600; }
h1 .sub { font-weight: 400; color: #aab4c8; font-size: 15px; margin-left: 6px; }
h2 { font-size: 16px; margin: 18px 0 8px; }
h3 { font-size: 15px; margin: 0 0 6px; }
h4 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  margin: 10px 0 4px; }
.stats { display: flex; flex-wrap: wrap; gap: 8px; }
.stat { background: rgba(255,255,255,.08); border-radius: 6px; padding: 4px 10px; }
.stat b { font-size: 16px; }
.stat .label { color: #aab4c8; margin-left: 4px; }
.note { margin: 8px 0 0; color: #aab4c8; font-size: 12px; }
.note code { color: #fff; }
main { padding: 0 24px 24px; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: baseline; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
.num { text-align: right; }
table.clusters { border: 1px solid var(--line); border-radius: 6px; }
td.name a { color: var(--accent); font-weight: 600; text-decoration: none; }
.id { color: var(--muted); font: 11px ui-monospace, "DejaVu Sans Mono", monospace; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; }
.version, .muted { color: var(--muted); }
.tag { display: inline-block; background: #eef2f8; border-radius: 3px; padding: 0 5px;
  margin: 2px 4px 0 0; font-size: 11px; color: #3d4a60; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px;
  font-weight: 600; }
.badge.ok { background: #e3f6e8; color: #1a7f37; }
.badge.busy { background: #e5efff; color: #0b57c2; }
.badge.warn { background: #fff3d6; color: #9a6700; }
.badge.bad { background: #ffe3e3; color: #c21c1c; }
.badge.gone { background: #eceef1; color: #59636e; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
  gap: 12px; margin-top: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px;
  padding: 10px 12px; }
.card h3 .engine { color: var(--muted); font-weight: 400; font-size: 13px; }
.card table th, .card table td { padding: 2px 6px; }
.secret { color: var(--muted); white-space: nowrap; }
ul.dbs { margin: 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px; }
ul.dbs li { background: #eef2f8; border-radius: 3px; padding: 0 6px; font-size: 13px; }
.empty { color: var(--muted); margin: 2px 0; font-style: italic; }
.lower { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0 16px; }
.lower .left:empty { display: none; }
.lower:has(.left section) { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
table.requests td.path code { word-break: break-all; }
table.requests td.time { font: 12px ui-monospace, "DejaVu Sans Mono", monospace;
  white-space: nowrap; }
td.method { font-weight: 600; font-size: 12px; }
.fault { font-size: 11px; color: #9a6700; margin-left: 6px; }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::config::MockConfig;
    use crate::mock::engine::Engine;
    use crate::mock::request_log::LoggedBody;
    use crate::mock::store::{sample_cluster, DbUser, Pool, Topic};

    #[test]
    fn escape_covers_markup_ampersands_and_both_quotes() {
        assert_eq!(
            escape(r#"<b class="x">Tom & Jerry's</b>"#),
            "&lt;b class=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;"
        );
        assert_eq!(
            escape("&amp;"),
            "&amp;amp;",
            "already escaped text is escaped again"
        );
        assert_eq!(escape("plain-name_1 é ✓"), "plain-name_1 é ✓");
        assert_eq!(escape(""), "");
        assert_eq!(
            escape("\"><script>alert(1)</script>"),
            "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    fn user(name: &str, password: &str) -> DbUser {
        DbUser {
            name: name.into(),
            role: UserRole::Normal,
            password: password.into(),
            mysql_auth_plugin: None,
            settings: None,
            access_cert: None,
            access_key: None,
        }
    }

    /// A store with a PostgreSQL cluster (a user and a pool) and a Kafka cluster (a user with a
    /// client certificate, and a topic), with known secrets and names that need escaping.
    fn store_with_secrets() -> Store {
        let mut store = Store::new(Some(3));
        let mut pg = sample_cluster("pg-1");
        pg.name = "<script>alert('pg')</script>".into();
        pg.tags = vec!["team&co".into()];
        pg.users[0].password = "AdminPassword-pg-1".into();
        pg.users.push(user("app\"user'<i>", "UserPassword-pg-1"));
        pg.dbs = vec!["defaultdb".into(), "a&b".into()];
        pg.pools.push(Pool {
            name: "pool<1>".into(),
            mode: "transaction".into(),
            size: 10,
            db: "defaultdb".into(),
            user: Some("app\"user'<i>".into()),
        });
        let mut kafka = sample_cluster("kafka-1");
        kafka.engine = Engine::Kafka;
        kafka.name = "events".into();
        kafka.version = "3.7".into();
        kafka.status = ClusterStatus::Creating;
        kafka.users[0].password = "AdminPassword-kafka-1".into();
        let mut producer = user("producer", "UserPassword-kafka-1");
        producer.access_cert = Some("-----BEGIN CERTIFICATE-----\nCERTBODY\n".into());
        producer.access_key = Some("-----BEGIN PRIVATE KEY-----\nKEYBODY\n".into());
        kafka.users.push(producer);
        kafka.topics.push(Topic {
            name: "orders\"&<".into(),
            state: TopicState::Configuring,
            state_since_ms: 0,
            settles: true,
            replication_factor: 3,
            partition_count: 6,
            config: Default::default(),
        });
        store.data.clusters.push(pg);
        store.data.clusters.push(kafka);
        store
    }

    const SECRETS: [&str; 6] = [
        "AdminPassword-pg-1",
        "UserPassword-pg-1",
        "AdminPassword-kafka-1",
        "UserPassword-kafka-1",
        "CERTBODY",
        "KEYBODY",
    ];

    fn dashboard(store: &Store, requests: Vec<RequestRow>) -> String {
        render_document(&Dashboard {
            now_ms: 1_700_000_000_000,
            settings: Settings::from_config(&MockConfig::default()),
            cluster_count: store.data.clusters.len(),
            clusters_html: render_clusters(store, None),
            uncloud: Vec::new(),
            logged: requests.len(),
            requests,
        })
    }

    #[test]
    fn passwords_keys_and_certificates_are_never_on_the_page() {
        let store = store_with_secrets();
        let html = dashboard(&store, Vec::new());
        for secret in SECRETS {
            assert!(!html.contains(secret), "{secret} is on the page");
        }
        // Nor the connection URIs that embed them, nor any part of a password.
        assert!(!html.contains("postgresql://"), "no connection URI");
        assert!(!html.contains("Password-"));
        assert_eq!(
            html.matches(MASK).count() - 1, // the note in the header
            4,
            "each of the four users shows the mask"
        );
        assert!(html.contains("+ client cert"));
    }

    #[test]
    fn every_name_is_escaped_in_text_and_attributes() {
        let store = store_with_secrets();
        let html = dashboard(&store, Vec::new());
        assert!(!html.contains("<script"), "the cluster name stays text");
        assert!(!html.contains("<i>"));
        assert!(!html.contains("pool<1>"));
        assert!(
            html.contains("data-cluster-name=\"&lt;script&gt;alert(&#39;pg&#39;)&lt;/script&gt;\"")
        );
        assert!(html.contains("<tr class=\"user\" data-user=\"app&quot;user&#39;&lt;i&gt;\">"));
        assert!(html.contains("data-pool=\"pool&lt;1&gt;\""));
        assert!(html.contains("data-topic=\"orders&quot;&amp;&lt;\""));
        assert!(html.contains("data-db=\"a&amp;b\""));
        assert!(html.contains("<span class=\"tag\">team&amp;co</span>"));
    }

    #[test]
    fn clusters_show_engine_status_size_region_nodes_and_connection() {
        let store = store_with_secrets();
        let html = dashboard(&store, Vec::new());
        assert!(html.contains(
            "<tr class=\"cluster\" id=\"cluster-pg-1\" data-cluster-id=\"pg-1\" \
             data-cluster-name=\"&lt;script&gt;alert(&#39;pg&#39;)&lt;/script&gt;\" \
             data-engine=\"pg\" data-status=\"online\">"
        ));
        assert!(html.contains("data-engine=\"kafka\" data-status=\"creating\""));
        assert!(
            html.contains("<td class=\"size\">db-s-1vcpu-1gb</td><td class=\"region\">nyc3</td>")
        );
        let host = store.data.clusters[0].host(&store.data.account);
        assert!(html.contains(&format!("<code>{}:25060</code>", escape(&host))));
        assert!(html.contains("id=\"cluster-kafka-1-details\""));
        assert!(html.contains("id=\"summary-clusters\" data-value=\"2\""));
        assert!(!html.contains("<th>Server</th>"), "no server column yet");
        assert!(store
            .data
            .clusters
            .iter()
            .all(|c| server_cell(c, None).is_none()));
        // Kafka has topics and no pools or dbs; PostgreSQL pools and dbs and no topics.
        let kafka = &html[html.find("id=\"cluster-kafka-1-details\"").unwrap()..];
        assert!(kafka.contains("<h4>Topics</h4>") && !kafka.contains("<h4>Connection pools</h4>"));
        assert!(!kafka.contains("<h4>Databases</h4>"));
    }

    fn logged(seq: u64, status: Option<u16>, query: Option<&str>) -> LoggedRequest {
        LoggedRequest {
            seq,
            method: "GET".into(),
            path: format!("/v2/databases/{seq}"),
            query: query.map(str::to_string),
            status,
            body: LoggedBody::of(br#"{"password": "BodySecret"}"#),
            at_ms: 1_700_000_000_000 + seq,
            request_id: "r".into(),
            fault: None,
        }
    }

    #[test]
    fn the_newest_requests_come_first_without_bodies_or_query_values() {
        let entries: Vec<LoggedRequest> = (1..=60)
            .map(|seq| match seq {
                58 => logged(seq, Some(404), None),
                59 => logged(seq, None, Some("tag_name=prod&password=QuerySecret&flag")),
                _ => logged(seq, Some(200), None),
            })
            .collect();
        let (count, rows) = latest_requests(&entries.iter().collect::<Vec<_>>());
        assert_eq!(count, 60);
        assert_eq!(rows.len(), MAX_REQUESTS_SHOWN);
        assert_eq!(rows[0].seq, 60, "newest first");
        assert_eq!(rows.last().unwrap().seq, 11);

        let html = dashboard(&Store::new(Some(1)), rows);
        assert!(!html.contains("BodySecret"));
        assert!(!html.contains("QuerySecret"));
        assert!(html.contains(&format!(
            "<code>/v2/databases/59?tag_name=prod&amp;password={MASK}&amp;flag</code>"
        )));
        assert!(html.contains("data-path=\"/v2/databases/58\" data-status=\"404\""));
        assert!(html.contains("<span class=\"badge warn\">404</span>"));
        assert!(html.contains("data-status=\"none\""));
        assert!(html.contains("<span class=\"badge gone\">dropped</span>"));
        assert!(html.contains("<span class=\"badge ok\">200</span>"));
        assert!(html.contains("data-seq=\"11\""));
        assert!(!html.contains("data-seq=\"10\""));
        assert!(html.contains("(50 of 50, newest first)"));
        assert!(html.contains("<td class=\"time\">22:13:20.060</td>"));
    }

    #[test]
    fn helpers() {
        assert_eq!(clock(1_547_231_856_123), "18:37:36.123");
        assert_eq!(status_class(201), "ok");
        assert_eq!(status_class(422), "warn");
        assert_eq!(status_class(503), "bad");
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).chars().count(), MAX_PATH_SHOWN + 1);
        assert_eq!(shown_target("/v2/databases", Some("")), "/v2/databases");
        let empty = dashboard(&Store::new(Some(1)), Vec::new());
        assert!(empty.contains("No clusters.") && empty.contains("No requests yet."));
        assert!(empty.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
    }
}
