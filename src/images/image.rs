//! A finished image as the cache keeps it: its bytes, their compressed forms made once, and the
//! ETag derived from the cache key (so a revalidation hashes no body).

use std::sync::{Arc, OnceLock};

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::CardRequest;
use super::encoding::{self, Coding};
use crate::cards::CardData;
use crate::domain::ImageFormat;
use crate::stats::Freshness;

/// A finished image, as cached.
#[derive(Debug)]
pub struct Image {
    pub format: ImageFormat,
    pub bytes: Bytes,
    /// The same bytes compressed, made the first time a client accepts the coding (SVG only:
    /// PNG is compressed already).
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    /// Derived from the cache key: a strong ETag, quoted.
    pub etag: HeaderValue,
    /// When the data was fetched (RFC 3339), for `X-Stats-Fetched-At`; part of the key, so made
    /// once.
    pub fetched_at: Option<HeaderValue>,
}

/// What identifies a finished image: 128 bits of SHA-256 over everything it depends on.
pub(super) type Key = [u8; 16];

impl Image {
    pub(super) fn new(format: ImageFormat, bytes: Bytes, key: &Key) -> Self {
        Self { format, bytes, gzip: OnceLock::new(), brotli: OnceLock::new(), etag: etag(key), fetched_at: None }
    }

    /// The body in `coding` when compressing is worth it (SVG), else as it is.
    pub fn body(&self, coding: Coding) -> (Bytes, Coding) {
        match (self.format.is_text(), coding) {
            (true, Coding::Brotli) => {
                (self.brotli.get_or_init(|| encoding::brotli(&self.bytes)).clone(), Coding::Brotli)
            }
            (true, Coding::Gzip) => (self.gzip.get_or_init(|| encoding::gzip(&self.bytes)).clone(), Coding::Gzip),
            _ => (self.bytes.clone(), Coding::Identity),
        }
    }

    /// What the cache counts: an SVG's compressed forms are each well under half of it.
    pub(super) fn weight(&self) -> u32 {
        let len = if self.format.is_text() { self.bytes.len() * 2 } else { self.bytes.len() };
        u32::try_from(len + 256).unwrap_or(u32::MAX)
    }
}

/// An image and what it says about its data's age.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub image: Arc<Image>,
    /// For live data: how fresh it is.
    pub freshness: Option<Freshness>,
    /// For live data: when GitHub was asked.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Contribution cards counted in another UTC offset than the reader's (minutes east).
    pub counted_in: Option<i32>,
    /// True when this call drew it (rather than finding it cached).
    pub drawn_now: bool,
}

pub(super) fn svg_image(svg: String, key: &Key) -> Image {
    Image::new(ImageFormat::Svg, Bytes::from(svg), key)
}

/// Everything the image depends on; equal keys are equal images.
pub(super) fn cache_key(request: &CardRequest, data: &CardData, generation: u64) -> Key {
    digest(&(request.kind.as_str(), request.format.as_str(), data.version(), generation, &request.options))
}

/// SHA-256 of a value's `Hash` stream, truncated to 128 bits: no formatting, no allocation, and
/// no collisions to fear between distinct images.
pub(super) fn digest(value: &impl std::hash::Hash) -> Key {
    struct Sha(Sha256);
    impl std::hash::Hasher for Sha {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut hasher = Sha(Sha256::new());
    value.hash(&mut hasher);
    let digest = hasher.0.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn etag(key: &Key) -> HeaderValue {
    // Hex digits in quotes: always a valid header value.
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(key))).unwrap_or(HeaderValue::from_static("\"0\""))
}
