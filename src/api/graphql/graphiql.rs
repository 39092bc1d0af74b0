//! GraphiQL at `GET /graphql`, where an administrator may type an API key.
//!
//! The page loads exact versions of GraphiQL and React from unpkg with Subresource Integrity, so
//! a changed or compromised CDN file is refused by the browser; its own start-up script comes from
//! this service, and a Content-Security-Policy allows nothing else to run. The page may not be
//! framed (no clickjacking of the key field).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const REACT: &str = "https://unpkg.com/react@18.3.1/umd/react.production.min.js";
const REACT_SRI: &str = "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z";
const REACT_DOM: &str = "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js";
const REACT_DOM_SRI: &str = "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1";
const GRAPHIQL_JS: &str = "https://unpkg.com/graphiql@4.1.2/graphiql.min.js";
const GRAPHIQL_JS_SRI: &str = "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B";
const GRAPHIQL_CSS: &str = "https://unpkg.com/graphiql@4.1.2/graphiql.min.css";
const GRAPHIQL_CSS_SRI: &str = "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr";

/// Starts GraphiQL against this service's endpoints (same origin, so no URL is configured).
const SCRIPT: &str = r#"(function () {
  var http = new URL("/graphql", window.location.href).href;
  var ws = http.replace(/^http/, "ws") + "/ws";
  var fetcher = GraphiQL.createFetcher({ url: http, subscriptionUrl: ws });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
"#;

pub(super) async fn page() -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GitHub Banners GraphQL</title>
<link rel="stylesheet" href="{GRAPHIQL_CSS}" integrity="{GRAPHIQL_CSS_SRI}" crossorigin="anonymous">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script src="{REACT}" integrity="{REACT_SRI}" crossorigin="anonymous"></script>
<script src="{REACT_DOM}" integrity="{REACT_DOM_SRI}" crossorigin="anonymous"></script>
<script src="{GRAPHIQL_JS}" integrity="{GRAPHIQL_JS_SRI}" crossorigin="anonymous"></script>
<script src="/graphql/graphiql.js"></script>
</body>
</html>
"#
    );
    let csp = format!(
        "default-src 'none'; script-src 'self' {REACT} {REACT_DOM} {GRAPHIQL_JS}; \
         style-src 'unsafe-inline' {GRAPHIQL_CSS}; font-src data:; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    protect(&mut response, &csp);
    response
}

pub(super) async fn script() -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response();
    protect(&mut response, "default-src 'none'");
    response
}

fn protect(response: &mut Response, csp: &str) {
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}
