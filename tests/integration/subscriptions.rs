//! `statsUpdated` over WebSocket (graphql-transport-ws).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{API_KEY, spawn_app};

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn a_subscriber_receives_stats_updated_after_refresh_user() {
    let app = spawn_app().await;
    app.preview("username=octocat").await;
    let mut request = format!("{}/graphql/ws", app.address.replace("http://", "ws://")).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription { statsUpdated(login: \"OctoCat\") { login followers stats { stars } } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    // The server handles a connection's messages in order: once it answers this ping, the
    // subscription before it is registered.
    socket.send(Message::text(json!({ "type": "ping" }).to_string())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "pong");
    app.github.update_user("octocat", |u| u.followers = 4321);
    // Another user's refresh must not reach this subscriber.
    app.graphql("mutation { refreshUser(login: \"forkful\") { login } }", json!({}), Some(API_KEY)).await;
    app.graphql("mutation { refreshUser(login: \"octocat\") { login } }", json!({}), Some(API_KEY)).await;

    let message = next_json(&mut socket).await;

    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["payload"]["data"]["statsUpdated"]["login"], "octocat");
    assert_eq!(message["payload"]["data"]["statsUpdated"]["followers"], 4321);
}
