//! The one middleware every request passes: per-client limits, then signed-request verification,
//! then the handler, then the log line for a server error's cause. One layer rather than three:
//! each layer costs a boxed service clone per request on the hot path.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{AppState, clients, error, signing};

pub(super) async fn edge(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let route = crate::metrics::route(request.uri().path());
    let response = handle(&state, request, next).await;
    crate::metrics::request(route, response.status().as_u16(), started.elapsed());
    response
}

async fn handle(state: &AppState, mut request: Request, next: Next) -> Response {
    if let Err(refused) = clients::admit(state, &mut request).await {
        return refused;
    }
    let request = match signing::verify(state, request).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let response = next.run(request).await;
    error::log_server_error(&response);
    response
}
