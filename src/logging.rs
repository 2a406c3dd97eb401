//! Logging as Terraform expects it from a plugin: one hclog-style JSON object per line on the
//! process's real stderr (`@level`, `@message`, `@module`, `@timestamp`, then fields), at the
//! level of `TF_LOG_PROVIDER_DBAAS`, else `TF_LOG_PROVIDER`, else `TF_LOG`. Nothing is written
//! when none is set. Terraform shows these lines only when the user enables logging.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// Environment variables that set the level, most specific first.
pub const LEVEL_VARIABLES: [&str; 3] = ["TF_LOG_PROVIDER_DBAAS", "TF_LOG_PROVIDER", "TF_LOG"];

/// The level asked for by the environment (`JSON` means TRACE, as in Terraform).
pub fn level_from_env(lookup: impl Fn(&str) -> Option<String>) -> LevelFilter {
    for name in LEVEL_VARIABLES {
        if let Some(value) = lookup(name).filter(|v| !v.trim().is_empty()) {
            return match value.trim().to_ascii_uppercase().as_str() {
                "TRACE" | "JSON" => LevelFilter::TRACE,
                "DEBUG" => LevelFilter::DEBUG,
                "INFO" => LevelFilter::INFO,
                "WARN" => LevelFilter::WARN,
                "ERROR" => LevelFilter::ERROR,
                "OFF" => LevelFilter::OFF,
                // Terraform treats an unrecognised value as TRACE.
                _ => LevelFilter::TRACE,
            };
        }
    }
    LevelFilter::OFF
}

/// Installs the global subscriber. Call once, before serving.
pub fn init() {
    let level = level_from_env(|name| std::env::var(name).ok());
    if level == LevelFilter::OFF {
        // Nothing would be written: without a subscriber every event is skipped at its call
        // site, and start-up does not pay for building one.
        return;
    }
    let subscriber =
        Registry::default().with(HclogJson.with_filter(filter_fn(move |meta| wanted(meta, level))));
    // A second call (tests) keeps the first subscriber, which is what we want.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Our own events at the chosen level; the chatty transport crates only at WARN and above.
fn wanted(meta: &Metadata<'_>, level: LevelFilter) -> bool {
    if !meta.is_event() {
        return false;
    }
    let ours =
        meta.target().starts_with("dbaas") || meta.target().starts_with("terraform_provider_dbaas");
    let limit = if ours {
        level
    } else {
        level.min(LevelFilter::WARN)
    };
    *meta.level() <= limit
}

struct HclogJson;

impl<S: Subscriber> Layer<S> for HclogJson {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut line = Map::new();
        line.insert("@level".into(), Json::from(level_name(meta.level())));
        line.insert(
            "@message".into(),
            Json::from(fields.message.unwrap_or_default()),
        );
        line.insert("@module".into(), Json::from(module_name(meta.target())));
        line.insert("@timestamp".into(), Json::from(timestamp()));
        line.extend(fields.values);
        let mut text = Json::Object(line).to_string();
        text.push('\n');
        // One write per line keeps lines whole when tasks log concurrently.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

fn module_name(target: &str) -> String {
    let rest = target
        .strip_prefix("dbaas::")
        .or_else(|| target.strip_prefix("terraform_provider_dbaas::"));
    match rest {
        Some(rest) => format!("provider.dbaas.{}", rest.replace("::", ".")),
        None if target == "dbaas" => "provider.dbaas".to_string(),
        None => format!(
            "provider.dbaas.{}",
            target.split("::").next().unwrap_or(target)
        ),
    }
}

fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
    out
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    values: Map<String, Json>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.values.insert(field.name().into(), Json::from(value));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.values.insert(field.name().into(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.values.insert(field.name().into(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.values.insert(field.name().into(), Json::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.values.insert(field.name().into(), Json::from(text));
        }
    }
}
