//! Logging: a tracing subscriber whose output passes through a [`Redactor`], so no token,
//! key or Authorization header reaches a log line even at trace level; the in-memory
//! [`LogBuffer`] the UI reads (log lines and [`RequestRecord`]s, live via broadcast).

mod buffer;
mod record;
mod requests;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

pub use buffer::{
    LogBuffer, LogBufferLayer, LogEvent, LogRecord, DEFAULT_LOG_CAPACITY, DEFAULT_REQUEST_CAPACITY,
};
pub use record::RequestRecord;
pub use requests::{RecordHead, RequestTrace};

/// Scrubs known secret values (and `Bearer …` credentials) out of text.
///
/// Secrets are registered as they become known (API key at start, each access and refresh
/// token as it is loaded or refreshed). Cloning shares the same set.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember `secret` so it is scrubbed from every later log line. Short values (under 8
    /// characters) are ignored: they would scrub ordinary words.
    pub fn add(&self, secret: &str) {
        if secret.len() < 8 {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_owned());
        }
    }

    /// `text` with every registered secret and every `Bearer <token>` replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        {
            let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
            for secret in secrets.iter() {
                if out.contains(secret.as_str()) {
                    out = out.replace(secret.as_str(), "***");
                }
            }
        }
        redact_bearer(&out)
    }
}

/// Install the global subscriber: `filter` is a tracing directive (`info`,
/// `kiro_gateway=trace`…); every line goes through `redactor` on its way to stderr (with
/// colours only on a terminal), into `buffer` (for the UI) and, with `log_dir`, into a daily
/// file there (the last [`LOG_FILES_KEPT`] days are kept). The filter can be changed later
/// through the returned [`LogControl`].
pub fn init_with_buffer(
    filter: &str,
    redactor: Redactor,
    buffer: &LogBuffer,
    log_dir: Option<&Path>,
) -> Result<LogControl, String> {
    let parsed = parse_filter(filter)?;
    let (filter_layer, handle) = reload::Layer::new(parsed);
    let file_layer = match log_dir {
        Some(dir) => Some(
            file_layer(dir, redactor.clone())
                .map_err(|e| format!("cannot write logs to {}: {e}", dir.display()))?,
        ),
        None => None,
    };
    tracing_subscriber::registry()
        .with(filter_layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(RedactingMakeWriter::new(redactor, std::io::stderr)),
        )
        .with(file_layer)
        .with(buffer.layer())
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(LogControl {
        handle,
        current: Arc::new(Mutex::new(filter.to_owned())),
    })
}

/// How many daily log files stay in the log folder.
pub const LOG_FILES_KEPT: usize = 7;

/// A redacting fmt layer writing `kiro-gateway.YYYY-MM-DD.log` files in `dir`. Each event is
/// written (unbuffered) when it happens, so nothing is left to flush at exit.
fn file_layer<S>(dir: &Path, redactor: Redactor) -> std::io::Result<impl Layer<S>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    std::fs::create_dir_all(dir)?;
    let appender = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("kiro-gateway")
        .filename_suffix("log")
        .max_log_files(LOG_FILES_KEPT)
        .build(dir)
        .map_err(std::io::Error::other)?;
    Ok(tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(RedactingMakeWriter::new(redactor, appender)))
}

fn parse_filter(filter: &str) -> Result<EnvFilter, String> {
    EnvFilter::try_new(filter).map_err(|e| format!("invalid log filter {filter:?}: {e}"))
}

/// Changes the log filter of the subscriber installed by [`init_with_buffer`] at run time.
#[derive(Clone)]
pub struct LogControl {
    handle: reload::Handle<EnvFilter, Registry>,
    current: Arc<Mutex<String>>,
}

impl LogControl {
    /// The filter in force.
    pub fn current(&self) -> String {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replace the filter (`info`, `debug`, `kiro_gateway=trace`…).
    pub fn set(&self, filter: &str) -> Result<(), String> {
        let parsed = parse_filter(filter)?;
        self.handle.reload(parsed).map_err(|e| e.to_string())?;
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = filter.to_owned();
        Ok(())
    }
}

/// Wraps a `MakeWriter` so each formatted event is redacted before it is written.
pub struct RedactingMakeWriter<M> {
    redactor: Redactor,
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    pub fn new(redactor: Redactor, inner: M) -> Self {
        RedactingMakeWriter { redactor, inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            redactor: self.redactor.clone(),
            buf: Vec::new(),
        }
    }
}

/// Buffers one event and writes it, redacted, when dropped (the fmt layer makes one writer
/// per event).
pub struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Redactor,
    buf: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let _ = self.inner.write_all(self.redactor.redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

fn redact_bearer(text: &str) -> String {
    const MARK: &str = "Bearer ";
    if !text.contains(MARK) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(MARK) {
        out.push_str(&rest[..pos + MARK.len()]);
        let after = &rest[pos + MARK.len()..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
            .unwrap_or(after.len());
        if end > 0 {
            out.push_str("***");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_file_gets_every_line_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let redactor = Redactor::new();
        redactor.add("kgw_secret_key_123456");
        let subscriber =
            tracing_subscriber::registry().with(file_layer(dir.path(), redactor).unwrap());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("key kgw_secret_key_123456 and Authorization: Bearer abc.def");
            tracing::warn!("second line");
        });
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("kiro-gateway.") && name.ends_with(".log"),
            "{name}"
        );
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("second line"), "{text}");
        assert!(text.contains("key *** and"), "{text}");
        assert!(
            !text.contains("kgw_secret") && !text.contains("abc.def"),
            "{text}"
        );
    }

    #[test]
    fn scrubs_registered_secrets_and_bearer_values() {
        let r = Redactor::new();
        r.add("aoaSECRETACCESS");
        let line = r.redact(r#"token=aoaSECRETACCESS header="Authorization: Bearer xyz123abc""#);
        assert!(!line.contains("aoaSECRETACCESS"));
        assert!(!line.contains("xyz123abc"));
        assert!(line.contains("Bearer ***"));
    }

    #[test]
    fn the_writer_redacts_each_event() {
        use std::sync::Mutex;
        #[derive(Clone, Default)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let redactor = Redactor::new();
        redactor.add("refresh-SECRET-value");
        let made = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(RedactingMakeWriter::new(redactor, move || made.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(
                token = "refresh-SECRET-value",
                "sending Authorization: Bearer abcdefgh123"
            );
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(out.contains("sending"), "{out}");
        assert!(!out.contains("refresh-SECRET-value"), "{out}");
        assert!(!out.contains("abcdefgh123"), "{out}");
    }

    #[test]
    fn short_values_are_not_registered() {
        let r = Redactor::new();
        r.add("abc");
        assert_eq!(r.redact("abc def"), "abc def");
    }
}
