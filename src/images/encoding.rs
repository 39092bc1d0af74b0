//! Content codings: each cached SVG is compressed once (gzip and brotli), and each response picks
//! the best coding the client accepts. PNGs are compressed already and always go as they are.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_ENCODING;
use bytes::Bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }
}

/// The client's preferred coding among the ones we offer (`br` over `gzip` at equal weight;
/// `q=0` refuses one).
pub fn negotiate(headers: &HeaderMap) -> Coding {
    let mut best = (Coding::Identity, 0.0f32);
    for value in headers.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let coding = match name.as_str() {
                "br" => Coding::Brotli,
                "gzip" | "x-gzip" => Coding::Gzip,
                _ => continue,
            };
            let better = q > best.1 || (q == best.1 && q > 0.0 && coding == Coding::Brotli);
            if q > 0.0 && better {
                best = (coding, q);
            }
        }
    }
    best.0
}

pub(crate) fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

pub(crate) fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality: 9, lgwin: 20, ..Default::default() };
    // Reading from a slice and writing into a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_best_accepted_coding_wins() {
        assert_eq!(negotiate(&HeaderMap::new()), Coding::Identity);
        assert_eq!(negotiate(&accept("gzip, deflate")), Coding::Gzip);
        assert_eq!(negotiate(&accept("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(negotiate(&accept("br;q=0.5, gzip")), Coding::Gzip);
        assert_eq!(negotiate(&accept("br;q=0, gzip;q=0")), Coding::Identity);
        assert_eq!(negotiate(&accept("identity")), Coding::Identity);
    }

    #[test]
    fn compressed_bodies_come_back_whole() {
        use std::io::Read;
        let svg = "<svg>".repeat(500);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip(svg.as_bytes())[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, svg);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(svg.as_bytes())[..], &mut decoded).unwrap();
        assert_eq!(decoded, svg.as_bytes());
    }
}
