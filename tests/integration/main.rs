//! The single integration test binary (one link on 2 cores): every integration test is a module.
#![allow(clippy::unwrap_used)]

// `pub` so the helpers' `pub` items are reachable (workspace lint `unreachable_pub`) and ones a
// given test module does not use are not reported as dead code.
pub mod fake_github;
mod fake_github_selftest;
pub mod fake_wakatime;
pub mod helpers;

mod admission;
mod banners;
mod caching;
mod cli;
mod contributions;
mod dark_mode;
mod errors;
mod graphql;
mod graphql_abuse;
mod graphql_client_check;
mod grs;
mod grs_compat;
mod hostile;
mod http_edges;
mod image_service;
mod json_cards;
mod metrics;
mod preview;
mod replicas;
mod snapshots;
mod subscriptions;
mod themes;
mod tokens;
mod upstream;
mod views;
pub mod webhooks;
mod without_token;
mod worker;
