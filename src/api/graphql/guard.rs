//! What every GraphQL document passes before the parser sees it, on HTTP and WebSocket alike.
//!
//! The parser recurses once per nested list, object or argument list in a *value*, and its
//! recursion limit only covers selection sets, so a few kilobytes of `[[[[...` would overflow the
//! stack and abort the process. Documents are therefore scanned first, in linear time and constant
//! memory, and refused when they nest deeper than [`MAX_NESTING`] or are larger than
//! [`MAX_DOCUMENT_BYTES`]. The same executor wrapper gives every request its own [`LoginBudget`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::{Data, Executor, Request, Response, ServerError};

use super::AppSchema;
use crate::domain::Login;

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

/// The distinct GitHub logins one request may touch (aliases included): each can cost a GitHub
/// fetch, so one anonymous request must not be able to turn into hundreds of them.
pub(crate) struct LoginBudget {
    max: usize,
    seen: Mutex<HashSet<String>>,
}

impl LoginBudget {
    pub(crate) fn new(max: usize) -> Self {
        Self { max, seen: Mutex::new(HashSet::new()) }
    }

    /// Admits `login`; a login already admitted costs nothing more.
    pub(crate) fn admit(&self, login: &Login) -> Result<(), usize> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(&login.key()) {
            return Ok(());
        }
        if seen.len() >= self.max {
            return Err(self.max);
        }
        seen.insert(login.key());
        Ok(())
    }
}

/// The schema behind the checks above; served on `/graphql` and `/graphql/ws`.
#[derive(Clone)]
pub(crate) struct GuardedSchema {
    schema: AppSchema,
    max_logins: usize,
}

impl GuardedSchema {
    pub(crate) fn new(schema: AppSchema, max_logins: usize) -> Self {
        Self { schema, max_logins }
    }

    fn prepare(&self, request: Request) -> Result<Request, DocumentError> {
        check_document(&request.query)?;
        Ok(request.data(LoginBudget::new(self.max_logins)))
    }
}

fn refused(error: &DocumentError) -> Response {
    let mut server_error = ServerError::new(error.to_string(), None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    server_error.extensions = Some(extensions);
    Response::from_errors(vec![server_error])
}

impl Executor for GuardedSchema {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request) {
            Ok(request) => self.schema.execute(request).await,
            Err(error) => refused(&error),
        }
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        match self.prepare(request) {
            Ok(request) => self.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default()),
            Err(error) => {
                let refusal = refused(&error);
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
    fn a_login_budget_counts_distinct_logins_only() {
        let budget = LoginBudget::new(2);
        let (a, b, c) = (Login::parse("a").unwrap(), Login::parse("B").unwrap(), Login::parse("c").unwrap());
        assert_eq!(budget.admit(&a), Ok(()));
        assert_eq!(budget.admit(&a), Ok(()));
        assert_eq!(budget.admit(&b), Ok(()));
        assert_eq!(budget.admit(&Login::parse("b").unwrap()), Ok(()));
        assert_eq!(budget.admit(&c), Err(2));
    }
}
