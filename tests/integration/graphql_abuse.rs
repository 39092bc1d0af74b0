//! Hostile GraphQL: documents that would crash the parser, aliases that would multiply GitHub
//! calls, oversized or malformed bodies; and the introspection queries real tools send.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::fake_github::FakeUser;
use crate::helpers::{TestApp, TestConfig, spawn_app, spawn_app_with};

/// POST /graphql with a raw body; returns status and the body as text.
async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn first_error(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    let error = &value["errors"][0];
    (
        error["message"].as_str().unwrap_or_default().to_owned(),
        error["extensions"]["code"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn still_serves(app: &TestApp) {
    let alive = app.graphql("{ themes { name } }", json!({}), None).await;
    assert!(alive["errors"].is_null(), "{alive}");
}

#[tokio::test]
async fn a_document_nested_ten_thousand_deep_is_refused_without_crashing() {
    let app = spawn_app().await;
    let deep = format!("{{user(login:{}\"x\"{}){{login}}}}", "[".repeat(10_000), "]".repeat(10_000));
    let brackets = "[".repeat(64 * 1024 - 20);

    let (status, body) = post_raw(&app, json!({ "query": deep }).to_string()).await;
    let (message, code) = first_error(&body);
    assert_eq!((status, code.as_str()), (200, "BAD_USER_INPUT"), "{body}");
    assert!(message.contains("nests") && message.contains("deep"), "{message}");

    let (status, body) = post_raw(&app, json!({ "query": brackets }).to_string()).await;
    assert!(status == 200 || status == 413, "{status}");
    assert!(first_error(&body).0.contains("deep") || status == 413, "{body}");

    still_serves(&app).await;
    assert!(app.github.requests().is_empty());
}

async fn socket(
    app: &TestApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("{}/graphql/ws", app.address.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    let ack = next_text(&mut socket).await.expect("connection_ack");
    assert!(ack.contains("connection_ack"), "{ack}");
    socket
}

/// The next text message, or None when the server closed the socket.
async fn next_text<S>(socket: &mut S) -> Option<String>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.expect("an answer") {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn the_same_documents_over_websocket_are_refused_and_the_service_lives_on() {
    let app = spawn_app().await;
    let mut ws = socket(&app).await;
    let deep = format!("{{user(login:{}\"x\"{}){{login}}}}", "[".repeat(10_000), "]".repeat(10_000));

    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": deep } }).to_string()))
        .await
        .unwrap();
    let answer = next_text(&mut ws).await.expect("an error message");
    assert!(answer.contains("nests") && answer.contains("deep"), "{answer}");

    // Over 64 KiB in one message: the socket is closed, the document never runs.
    let huge = "a".repeat(2 * 1024 * 1024);
    let query = format!("{{ themes {{ name }} }} # {huge}");
    let _ = ws
        .send(Message::text(json!({ "id": "2", "type": "subscribe", "payload": { "query": query } }).to_string()))
        .await;
    while let Some(message) = next_text(&mut ws).await {
        assert!(!message.contains("\"2\""), "the oversized document ran: {message}");
    }

    still_serves(&app).await;
    assert!(app.github.requests().is_empty());
}

#[tokio::test]
async fn aliases_cannot_multiply_github_calls() {
    let app = spawn_app().await;
    for i in 0..990 {
        app.github.set_user(FakeUser::new(&format!("user-{i}")));
    }
    let previews: String = (0..990).map(|i| format!("p{i}: preview(login: \"user-{i}\") ")).collect();
    let users: String = (0..8).map(|i| format!("u{i}: user(login: \"user-{i}\") {{ login }} ")).collect();

    let (_, body) = post_raw(&app, json!({ "query": format!("{{ {previews} }}") }).to_string()).await;
    assert!(first_error(&body).0.contains("too complex"), "{body}");
    assert!(app.github.requests().is_empty(), "refused before any GitHub call");

    let response = app.graphql(&format!("{{ {users} }}"), json!({}), None).await;
    let refused: Vec<&Value> =
        response["errors"].as_array().unwrap().iter().filter(|e| e["extensions"]["code"] == "BAD_USER_INPUT").collect();
    assert_eq!(refused.len(), 3, "{response}");
    assert!(refused[0]["message"].as_str().unwrap().contains("at most 5 different users, repositories or gists"));
    assert_eq!(app.github.requests().len(), 5, "only the first five distinct users reached GitHub");
}

#[tokio::test]
async fn aliases_of_one_user_count_once_and_the_bound_is_configurable() {
    let mut config = TestConfig::default();
    config.limits.graphql_max_users = 1;
    let app = spawn_app_with(config).await;

    let same = app
        .graphql("{ a: user(login: \"octocat\") { login } b: user(login: \"OctoCat\") { name } }", json!({}), None)
        .await;
    let two = app
        .graphql("{ a: user(login: \"octocat\") { login } b: user(login: \"forkful\") { login } }", json!({}), None)
        .await;

    assert!(same["errors"].is_null(), "{same}");
    assert_eq!(two["errors"].as_array().map(Vec::len), Some(1), "{two}");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_plain_errors() {
    let app = spawn_app().await;
    // Chunked (no Content-Length): the limit is only found while reading.
    let mut request = b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for _ in 0..40 {
        request.extend_from_slice(b"1000\r\n");
        request.extend_from_slice(&[b' '; 4096]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = crate::helpers::raw_http(&app, &request).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    let body = &reply[reply.find("\r\n\r\n").unwrap() + 4..];
    assert_eq!(first_error(body).1, "PAYLOAD_TOO_LARGE", "{reply}");

    for malformed in ["{", "\"a string\"", "{\"query\": 5}", "not json at all"] {
        let (status, body) = post_raw(&app, malformed).await;
        assert_eq!(status, 400, "{malformed}: {body}");
        let (message, code) = first_error(&body);
        assert_eq!(code, "BAD_USER_INPUT", "{body}");
        assert!(
            !message.contains("Error(") && !message.contains("Custom {") && !message.contains("kind:"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn the_standard_introspection_queries_of_mainstream_clients_are_answered() {
    let app = spawn_app().await;
    for document in [
        include_str!("fixtures/introspection_graphql_js_16.graphql"),
        include_str!("fixtures/introspection_graphiql.graphql"),
    ] {
        let response = app.graphql(document, json!({}), None).await;

        assert!(response["errors"].is_null(), "{}", &response.to_string()[..300.min(response.to_string().len())]);
        let types = response["data"]["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == "User"));
    }
}
