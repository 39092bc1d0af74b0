//! What every GraphQL document passes before the parser sees it, on HTTP and WebSocket alike.
//!
//! The parser recurses once per nested list, object or argument list in a *value*, and its
//! recursion limit only covers selection sets, so a few kilobytes of `[[[[...` would overflow the
//! stack and abort the process. Documents are therefore scanned first, in linear time and constant
//! memory, and refused when they nest deeper than [`MAX_NESTING`] or are larger than
//! [`MAX_DOCUMENT_BYTES`]. The same executor wrapper gives every request its own
//! [`SubjectBudget`], and admits every WebSocket operation as a request of its client (one unit
//! of the request budget, a bounded number per connection).

use std::any::TypeId;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::futures_util::stream::{self, BoxStream, Stream, StreamExt};
use async_graphql::{Data, Executor, Request, Response, ServerError};

use super::AppSchema;
use crate::api::AppError;
use crate::api::clients::{Client, ClientLimits};

/// Deeper than any real query (the standard introspection query nests 11 levels) and far below
/// what would strain the parser's stack.
pub(crate) const MAX_NESTING: usize = 32;
/// The same bound as an HTTP body.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Why a document was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DocumentError {
    #[error("the document is {0} bytes; the limit is {MAX_DOCUMENT_BYTES}")]
    TooLarge(usize),
    #[error("the document nests brackets, braces or parentheses more than {MAX_NESTING} levels deep")]
    TooDeep,
}

/// Checks size and bracket nesting outside strings and comments.
pub(crate) fn check_document(document: &str) -> Result<(), DocumentError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge(document.len()));
    }
    let bytes = document.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                // Block strings end at the first unescaped `"""`; `\"""` is an escaped one.
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'[' | b'{' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(DocumentError::TooDeep);
                }
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The distinct subjects (GitHub users, repositories, gists, WakaTime users) one request may
/// touch, aliases included: each can cost a fetch, so one anonymous request must not be able to
/// turn into hundreds of them.
pub(crate) struct SubjectBudget {
    max: usize,
    seen: Mutex<HashSet<String>>,
}

impl SubjectBudget {
    pub(crate) fn new(max: usize) -> Self {
        Self { max, seen: Mutex::new(HashSet::new()) }
    }

    /// Admits the subject named `key` (`user:octocat`); one already admitted costs nothing more.
    pub(crate) fn admit(&self, key: String) -> Result<(), usize> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(&key) {
            return Ok(());
        }
        if seen.len() >= self.max {
            return Err(self.max);
        }
        seen.insert(key);
        Ok(())
    }
}

/// What one GraphQL WebSocket connection has done: every operation it starts spends one
/// request of its client's budget, at most `max_operations` may be started, and the connection
/// is closed when idle (see `idle_input`).
pub(crate) struct Connection {
    pub(crate) client: Client,
    started: AtomicU32,
    running: Arc<AtomicUsize>,
}

impl Connection {
    pub(crate) fn new(client: Client) -> Self {
        Self { client, started: AtomicU32::new(0), running: Arc::default() }
    }

    /// Operations running now (subscriptions stay running until they end).
    pub(crate) fn running(&self) -> Arc<AtomicUsize> {
        self.running.clone()
    }
}

/// Bounds of GraphQL requests, HTTP and WebSocket alike.
#[derive(Debug, Clone, Copy)]
pub struct GraphQlLimits {
    /// Distinct subjects per request (GRAPHQL_MAX_USERS).
    pub max_subjects: usize,
    /// Operations one WebSocket connection may start (WEBSOCKET_MAX_OPERATIONS).
    pub max_operations: u32,
    /// A WebSocket with nothing running closes after this long without a message.
    pub idle_timeout: Duration,
}

/// Messages from a WebSocket client until it has been silent for `idle` with no operation
/// running (a subscription keeps it open): the end of this stream closes the connection.
pub(crate) fn idle_input<S>(
    input: S,
    running: Arc<AtomicUsize>,
    idle: Duration,
) -> impl Stream<Item = S::Item> + Send + 'static
where
    S: Stream + Unpin + Send + 'static,
    S::Item: Send,
{
    stream::unfold(input, move |mut input| {
        let running = running.clone();
        async move {
            loop {
                match tokio::time::timeout(idle, input.next()).await {
                    Ok(Some(message)) => return Some((message, input)),
                    Ok(None) => return None,
                    Err(_) if running.load(Ordering::SeqCst) > 0 => continue,
                    Err(_) => return None,
                }
            }
        }
    })
}

/// The schema behind the checks above; served on `/graphql` and `/graphql/ws`.
#[derive(Clone)]
pub(crate) struct GuardedSchema {
    schema: AppSchema,
    limits: GraphQlLimits,
    clients: Arc<ClientLimits>,
}

impl GuardedSchema {
    pub(crate) fn new(schema: AppSchema, limits: GraphQlLimits, clients: Arc<ClientLimits>) -> Self {
        Self { schema, limits, clients }
    }

    pub(crate) fn limits(&self) -> GraphQlLimits {
        self.limits
    }

    fn prepare(&self, request: Request) -> Result<Request, Refusal> {
        check_document(&request.query).map_err(Refusal::Document)?;
        Ok(request.data(SubjectBudget::new(self.limits.max_subjects)))
    }

    /// An operation on a WebSocket: like a request over HTTP, it spends one request of the
    /// client's budget, and the connection may start only so many.
    fn admit_operation(&self, connection: &Connection) -> Result<(), Refusal> {
        let started = connection.started.fetch_add(1, Ordering::SeqCst);
        if started >= self.limits.max_operations {
            return Err(Refusal::TooManyOperations(self.limits.max_operations));
        }
        self.clients.check_request(&connection.client).map_err(Refusal::Budget)
    }
}

/// Why a document was refused before it ran.
enum Refusal {
    Document(DocumentError),
    TooManyOperations(u32),
    Budget(AppError),
}

fn refused(refusal: &Refusal) -> Response {
    let (message, code) = match refusal {
        Refusal::Document(error) => (error.to_string(), "BAD_USER_INPUT"),
        Refusal::TooManyOperations(max) => {
            (format!("one connection may start at most {max} operations; open a new one"), "TOO_MANY_REQUESTS")
        }
        Refusal::Budget(error) => (error.to_string(), error.code()),
    };
    let mut server_error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Refusal::Budget(error) = refusal
        && let Some(seconds) = error.retry_after()
    {
        extensions.set("retryAfter", seconds);
    }
    server_error.extensions = Some(extensions);
    Response::from_errors(vec![server_error])
}

/// Decrements the running count when the operation's stream is dropped, however it ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Executor for GuardedSchema {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request) {
            Ok(request) => self.schema.execute(request).await,
            Err(refusal) => refused(&refusal),
        }
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let session = session_data.unwrap_or_default();
        let connection = session.get(&TypeId::of::<Connection>()).and_then(|c| c.downcast_ref::<Connection>());
        let admitted = match connection {
            Some(connection) => self.admit_operation(connection).map(|()| Some(connection.running())),
            None => Ok(None),
        };
        match admitted.and_then(|running| self.prepare(request).map(|request| (request, running))) {
            Ok((request, running)) => {
                let stream = self.schema.execute_stream_with_session_data(request, session);
                match running {
                    Some(running) => {
                        running.fetch_add(1, Ordering::SeqCst);
                        // The guard lives as long as the stream: it counts the operation as running.
                        let guard = Running(running);
                        stream
                            .map(move |response| {
                                let _running = &guard;
                                response
                            })
                            .boxed()
                    }
                    None => stream,
                }
            }
            Err(refusal) => {
                let refusal = refused(&refusal);
                stream::once(async move { refusal }).boxed()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_in_linear_time() {
        let deep = format!("{{user(login:{}\"x\"{}){{login}}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(check_document(&deep), Err(DocumentError::TooDeep));
        assert_eq!(check_document(&"[".repeat(64 * 1024)), Err(DocumentError::TooDeep));
        assert_eq!(check_document(&"{".repeat(70_000)), Err(DocumentError::TooLarge(70_000)));
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let brackets = "[".repeat(100);
        for document in [
            format!("{{ user(login: \"{brackets}\") {{ login }} }}"),
            format!("{{ user(login: \"\"\"{brackets} \\\"\"\" {brackets}\"\"\") {{ login }} }}"),
            format!("# {brackets}\n{{ user(login: \"a\\\"{brackets}\") {{ login }} }}"),
        ] {
            assert_eq!(check_document(&document), Ok(()), "{document}");
        }
    }

    #[test]
    fn ordinary_nesting_passes() {
        let nested = format!("{{ a(x: {}1{}) {{ b }} }}", "[".repeat(MAX_NESTING - 2), "]".repeat(MAX_NESTING - 2));
        assert_eq!(check_document(&nested), Ok(()));
    }

    #[test]
    fn a_subject_budget_counts_distinct_subjects_only() {
        let budget = SubjectBudget::new(2);
        assert_eq!(budget.admit("user:a".to_owned()), Ok(()));
        assert_eq!(budget.admit("user:a".to_owned()), Ok(()));
        assert_eq!(budget.admit("repo:a/x".to_owned()), Ok(()));
        assert_eq!(budget.admit("gist:1".to_owned()), Err(2));
    }
}
