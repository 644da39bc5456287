# syntax=docker/dockerfile:1
# Partnerdesk in one image: the `partnerdesk` binary and the built browser app, on Debian slim, as a non-root user.
#   docker build -t partnerdesk .        (docker-compose.yml does this for you)
# Configuration is the same environment as everywhere (README, Configuration); the image only sets where things are.

ARG RUST_VERSION=1.95

# Build: the server with cargo, the browser app with the project's own script (rustup's wasm32 target,
# wasm-bindgen-cli at the version frontend/Cargo.lock pins). Caches survive between builds (BuildKit).
FROM rust:${RUST_VERSION}-slim-bookworm AS build
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
ENV CARGO_TARGET_DIR=/cache/target WEB_TARGET_DIR=/cache/web-target
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/cache \
    ./scripts/build-frontend \
    && cargo build --release --locked -p partnerdesk \
    && mkdir -p /out \
    && cp "$CARGO_TARGET_DIR/release/partnerdesk" /out/partnerdesk \
    && cp -r frontend/dist /out/dist

# Runtime: the binary, the app, CA certificates (SMTP over TLS, managed PostgreSQL over TLS) and time zone data.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home --shell /usr/sbin/nologin partnerdesk
COPY --from=build /out/partnerdesk /usr/local/bin/partnerdesk
COPY --from=build /out/dist /app/dist
ENV LISTEN_ADDR=0.0.0.0:8080 \
    DATA_DIR=/data \
    FRONTEND_DIR=/app/dist \
    LOG_FORMAT=json
USER partnerdesk
WORKDIR /data
EXPOSE 8080
# Ready = the database answers and every migration is applied. No curl in the image: bash's /dev/tcp asks.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${LISTEN_ADDR##*:} && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["partnerdesk"]
CMD ["serve"]
