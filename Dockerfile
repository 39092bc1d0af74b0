# Multi-stage build: compile with the full toolchain (librdkafka is built from source for the
# Kafka bus), run on a slim image with CA certificates and broad fonts: the binary bundles what
# every label needs; these draw users' names in any script (and emoji) in PNGs.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake build-essential pkg-config zlib1g-dev python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin github-banners

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
        fontconfig fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app banners
WORKDIR /app
COPY --from=build /src/target/release/github-banners /usr/local/bin/github-banners
USER banners
ENV HOST=0.0.0.0 PORT=8080 LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["github-banners"]
CMD ["serve"]
