//! Logging set-up: tracing with LOG_LEVEL and LOG_FORMAT.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; safe to call once per process.
pub fn init(filter: EnvFilter, format: LogFormat) {
    // resvg warns on every font fallback, which is how PNGs reach the script fonts (several
    // lines per PNG in some locales); what it reports at ERROR still shows.
    let filter = match "usvg::text=error".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    // A log line that cannot be written (a closed pipe: the log collector went away) is dropped;
    // reporting it would `eprintln!` into the same closed pipe and panic inside the request.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Err(error) = result {
        eprintln!("logging was already initialised: {error}");
    }
}
