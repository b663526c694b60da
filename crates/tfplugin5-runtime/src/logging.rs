//! Logging in the format Terraform understands: one go-hclog JSON object per line on stderr.
//!
//! go-plugin reads the plugin's stderr line by line; a JSON line with `@level`, `@message` and a `@timestamp`
//! in Go's `2006-01-02T15:04:05.000000Z07:00` layout is re-logged at that level under
//! `provider.terraform-provider-<name>`, every other key becoming a key/value pair. Anything else is shown as raw
//! DEBUG text, so this layer writes nothing but such lines, and never touches stdout (the handshake channel).
//!
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`, with Terraform's own vocabulary. A panic hook turns
//! panics into an ERROR line.

use std::io::Write;
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// Provider-specific level variable; wins over `TF_LOG`.
pub const TF_LOG_PROVIDER: &str = "TF_LOG_PROVIDER";
/// Terraform's general level variable.
pub const TF_LOG: &str = "TF_LOG";

/// The level used when neither variable is set: Terraform discards our stderr then anyway, and a person running
/// the binary in debug mode still sees what went wrong.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::WARN;

/// Crates whose TRACE/DEBUG output is about HTTP/2 frames and sockets, not about the provider: capped at INFO so
/// that `TF_LOG=trace` stays readable and cheap.
const NOISY_DEPENDENCIES: [&str; 5] = ["h2", "hyper", "hyper_util", "tower", "rustls"];

/// Maps `TF_LOG_PROVIDER` / `TF_LOG` values to a level filter, following Terraform: `JSON` means TRACE, any
/// other unrecognised value also means TRACE (Terraform warns and defaults to TRACE), unset or empty means
/// [`DEFAULT_LEVEL`].
pub fn level_from_env_values(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    let Some(value) = chosen else {
        return DEFAULT_LEVEL;
    };
    match value.to_ascii_uppercase().as_str() {
        "OFF" => LevelFilter::OFF,
        "ERROR" => LevelFilter::ERROR,
        "WARN" => LevelFilter::WARN,
        "INFO" => LevelFilter::INFO,
        "DEBUG" => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// The level filter from the process environment.
pub fn level_from_env() -> LevelFilter {
    let provider = std::env::var(TF_LOG_PROVIDER).ok();
    let general = std::env::var(TF_LOG).ok();
    level_from_env_values(provider.as_deref(), general.as_deref())
}

/// Installs the hclog layer on stderr as the global subscriber, at the level from the environment, plus the
/// panic hook. Calling it twice is harmless (the second subscriber is refused and the first one kept).
pub fn init() {
    let level = level_from_env();
    let subscriber =
        Registry::default().with(HclogLayer::new(std::io::stderr()).with_filter(targets(level)));
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        install_panic_hook();
    }
}

/// Filter at `level`, with the noisy dependencies capped at INFO.
fn targets(level: LevelFilter) -> Targets {
    let capped = level.min(LevelFilter::INFO);
    NOISY_DEPENDENCIES
        .into_iter()
        .fold(Targets::new().with_default(level), |t, target| {
            t.with_target(target, capped)
        })
}

/// Replaces the default panic message (plain text on stderr) by an hclog ERROR line, which Terraform shows even
/// at `TF_LOG=error`.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".to_owned());
        let mut fields = Map::new();
        if let Some(location) = info.location() {
            fields.insert("location".to_owned(), Value::String(location.to_string()));
        }
        if let Some(name) = std::thread::current().name() {
            fields.insert("thread".to_owned(), Value::String(name.to_owned()));
        }
        let line = hclog_line(
            Level::ERROR,
            &format!("panic: {message}"),
            "panic",
            SystemTime::now(),
            fields,
        );
        // Nothing useful can be done if stderr is gone.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }));
}

/// Renders one hclog JSON line (with its trailing newline). `@`-keys win over same-named fields.
pub fn hclog_line(
    level: Level,
    message: &str,
    module: &str,
    at: SystemTime,
    mut fields: Map<String, Value>,
) -> String {
    let level = match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    };
    fields.insert("@level".to_owned(), Value::from(level));
    fields.insert("@message".to_owned(), Value::from(message));
    fields.insert("@module".to_owned(), Value::from(module));
    // Exactly six fractional digits and a `Z`: what hclog's TimeFormatJSON produces and go-plugin expects.
    fields.insert(
        "@timestamp".to_owned(),
        Value::from(humantime::format_rfc3339_micros(at).to_string()),
    );
    let mut line = Value::Object(fields).to_string();
    line.push('\n');
    line
}

/// A `tracing` layer writing every event as an hclog JSON line: the event's fields plus those of its enclosing
/// spans (outermost first, inner values winning), `@module` being the event's target.
pub struct HclogLayer {
    sink: Mutex<Box<dyn Write + Send>>,
}

impl HclogLayer {
    /// A layer writing to `sink` (stderr in production; a buffer in tests).
    pub fn new(sink: impl Write + Send + 'static) -> Self {
        Self {
            sink: Mutex::new(Box::new(sink)),
        }
    }
}

/// Fields recorded on a span, kept in the span's extensions until its events need them.
struct SpanFields(Map<String, Value>);

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut visitor = JsonVisitor::default();
        attrs.record(&mut visitor);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(visitor.fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            let mut visitor = JsonVisitor {
                fields: std::mem::take(fields),
                message: None,
            };
            values.record(&mut visitor);
            *fields = visitor.fields;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.extend(span_fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut visitor = JsonVisitor {
            fields,
            message: None,
        };
        event.record(&mut visitor);
        let metadata = event.metadata();
        let line = hclog_line(
            *metadata.level(),
            visitor.message.as_deref().unwrap_or_default(),
            metadata.target(),
            SystemTime::now(),
            visitor.fields,
        );
        // A poisoned lock only means another thread panicked mid-write; the sink itself is still usable.
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // One write per line so that concurrent lines never interleave; a failing stderr cannot be reported.
        let _ = sink.write_all(line.as_bytes());
        let _ = sink.flush();
    }
}

/// Collects `tracing` fields as JSON values; the `message` field becomes `@message`.
#[derive(Default)]
struct JsonVisitor {
    fields: Map<String, Value>,
    message: Option<String>,
}

impl JsonVisitor {
    fn insert(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for JsonVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // NaN and infinities have no JSON form; keep them readable as text.
        let json = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::from(value.to_string()), Value::Number);
        self.insert(field, json);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.insert(field, Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.insert(field, Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn level_selection_follows_terraform() {
        assert_eq!(level_from_env_values(None, None), DEFAULT_LEVEL);
        assert_eq!(level_from_env_values(Some(""), Some("")), DEFAULT_LEVEL);
        assert_eq!(
            level_from_env_values(None, Some("debug")),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env_values(Some("ERROR"), Some("TRACE")),
            LevelFilter::ERROR
        );
        assert_eq!(
            level_from_env_values(Some(" "), Some("info")),
            LevelFilter::INFO
        );
        assert_eq!(level_from_env_values(None, Some("OFF")), LevelFilter::OFF);
        assert_eq!(
            level_from_env_values(None, Some("JSON")),
            LevelFilter::TRACE
        );
        assert_eq!(level_from_env_values(None, Some("warn")), LevelFilter::WARN);
        assert_eq!(
            level_from_env_values(None, Some("verbose")),
            LevelFilter::TRACE
        );
    }

    #[test]
    fn line_has_hclog_keys_and_go_timestamp_layout() {
        let at = UNIX_EPOCH + Duration::new(1_795_463_426, 810_000_000);
        let mut fields = Map::new();
        fields.insert("mode".to_owned(), Value::from("custom"));
        fields.insert("@level".to_owned(), Value::from("spoofed"));
        let line = hclog_line(Level::INFO, "say \"hi\"\n\\o/", "probe", at, fields);
        assert!(line.ends_with('\n'));
        assert_eq!(
            line.matches('\n').count(),
            1,
            "message newlines must be escaped: {line}"
        );
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "say \"hi\"\n\\o/");
        assert_eq!(parsed["@module"], "probe");
        assert_eq!(parsed["mode"], "custom");
        assert_eq!(parsed["@timestamp"], "2026-11-23T19:50:26.810000Z");
    }

    #[test]
    fn timestamp_always_has_six_fractional_digits() {
        for nanos in [0, 1_000, 999_999_999] {
            let line = hclog_line(
                Level::WARN,
                "m",
                "x",
                UNIX_EPOCH + Duration::new(1, nanos),
                Map::new(),
            );
            let parsed: Value = serde_json::from_str(&line).unwrap();
            let ts = parsed["@timestamp"].as_str().unwrap();
            let (_, fraction) = ts.split_once('.').unwrap();
            assert_eq!(fraction.len(), 7, "{ts}");
            assert!(
                fraction.ends_with('Z') && fraction[..6].bytes().all(|b| b.is_ascii_digit()),
                "{ts}"
            );
        }
    }

    /// A cloneable in-memory sink.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(level: LevelFilter, emit: impl FnOnce()) -> Vec<Value> {
        let buffer = Buffer::default();
        let subscriber =
            Registry::default().with(HclogLayer::new(buffer.clone()).with_filter(targets(level)));
        tracing::subscriber::with_default(subscriber, emit);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn events_carry_their_fields_and_span_fields() {
        let lines = capture(LevelFilter::DEBUG, || {
            let span = tracing::info_span!("rpc", rpc = "GetSchema", attempt = 1_u64);
            let _entered = span.enter();
            tracing::debug!(count = 3, ok = true, ratio = 0.5, who = ?"x", "served {} things", 3);
            tracing::trace!("filtered out");
            span.record("attempt", 2_u64);
            tracing::error!(target: "custom", "boom");
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        let first = &lines[0];
        assert_eq!(first["@level"], "debug");
        assert_eq!(first["@message"], "served 3 things");
        assert_eq!(first["@module"], module_path!());
        assert_eq!(first["rpc"], "GetSchema");
        assert_eq!(first["attempt"], 1);
        assert_eq!(first["count"], 3);
        assert_eq!(first["ok"], true);
        assert_eq!(first["ratio"], 0.5);
        assert_eq!(first["who"], "\"x\"");
        assert_eq!(lines[1]["@module"], "custom");
        assert_eq!(lines[1]["@level"], "error");
        assert_eq!(lines[1]["attempt"], 2);
    }

    #[test]
    fn noisy_dependencies_are_capped_at_info() {
        let lines = capture(LevelFilter::TRACE, || {
            tracing::debug!(target: "h2::codec", "frame");
            tracing::info!(target: "h2::proto", "goaway");
            tracing::trace!("ours");
        });
        let messages: Vec<&str> = lines
            .iter()
            .map(|l| l["@message"].as_str().unwrap())
            .collect();
        assert_eq!(messages, ["goaway", "ours"]);
    }

    #[test]
    fn off_writes_nothing() {
        assert!(capture(LevelFilter::OFF, || tracing::error!("x")).is_empty());
    }
}
