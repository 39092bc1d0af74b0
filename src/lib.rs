//! GitHub Banners: live GitHub statistics as embeddable SVG banners.
//!
//! Layering (see DESIGN.md): `domain` is pure; `github` and `store` do I/O for it; `stats` combines
//! them behind a cache; `render` turns stats into SVG; `api` is the HTTP edge and only calls
//! services; `app` wires it all together from `config`.

pub mod api;
pub mod app;
pub mod banners;
pub mod cards;
pub mod clock;
pub mod config;
pub mod domain;
pub mod events;
pub mod github;
pub mod images;
pub mod metrics;
pub mod render;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod themes_cli;
pub mod views;
pub mod wakatime;
pub mod worker;
