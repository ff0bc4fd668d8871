# Kiro Gateway, headless, in a container. Two stages: build with the Rust toolchain, run from
# a small Debian image as an unprivileged user.
#
#   docker build -t kiro-gateway .
#   docker run --rm -p 127.0.0.1:8000:8000 \
#     -e KIRO_GATEWAY_API_KEY="$(openssl rand -hex 24)" \
#     -v ~/.aws/sso/cache:/home/kiro/.aws/sso/cache \
#     kiro-gateway
#
# Inside the container the gateway listens on 0.0.0.0 so the published port reaches it; it
# then refuses to start without a key of at least 24 characters. Publish on 127.0.0.1 (as
# above) unless you mean to share it. The login directory is mounted read-write so refreshed
# tokens are written back for the Kiro IDE.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kiro-gateway \
 && install -Dm755 target/release/kiro-gateway /out/kiro-gateway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /home/kiro --shell /usr/sbin/nologin kiro
COPY --from=build /out/kiro-gateway /usr/local/bin/kiro-gateway
USER 10001:10001
WORKDIR /home/kiro
ENV HOME=/home/kiro \
    KIRO_GATEWAY_HOST=0.0.0.0 \
    KIRO_GATEWAY_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["kiro-gateway", "healthcheck"]
ENTRYPOINT ["kiro-gateway"]
CMD ["serve"]
