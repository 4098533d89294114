# nightjar container image: a build stage with the full toolchain, and a small runtime
# stage that holds only the binary and the shared libraries it links.
#
#   docker build -t nightjar --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run --rm nightjar load http://host.docker.internal:8080/ --rps 100 -d 10s
#   docker run --rm -p 7070:7070 -v "$PWD/certs:/etc/nightjar/tls:ro" nightjar \
#       worker --listen 0.0.0.0:7070 --tls-cert /etc/nightjar/tls/worker.pem \
#       --tls-key /etc/nightjar/tls/worker-key.pem --client-ca /etc/nightjar/tls/ca.pem
#   (certs/ from `nightjar certs --out certs --hosts WORKER_HOST`; the keys must be readable
#   by uid 10001)
#
# Kubernetes manifests and the security model: deploy/README.md.

############################ build ############################
FROM debian:12 AS build

# The dependency layer first, so editing sources does not reinstall the toolchain.
# install-deps.sh runs apt-get update and install (as root here, so without sudo).
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh

COPY . /src
WORKDIR /src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNIGHTJAR_BUILD_TESTS=OFF \
 && cmake --build build -j"$(nproc)" \
 && strip build/nightjar

############################ runtime ############################
FROM debian:12 AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="nightjar" \
      org.opencontainers.image.description="Exact, open-loop load generator, test server and distributed load worker for HTTP services and service meshes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:12"

# Runtime libraries only (their -dev packages stay in the build stage). Boost, CLI11 and
# nlohmann-json are header-only. libgrpc++1.51 pulls in libgrpc29, libabsl, c-ares, re2.
# Not version-pinned on purpose: Debian stable point and security updates replace the
# exact versions, and pins would make the image unbuildable after each of them.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libfmt9 \
      libgrpc++1.51 \
      libnghttp2-14 \
      libprotobuf32 \
      libsqlite3-0 \
      libssl3 \
      libyaml-cpp0.7 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/*

# A system user without a home directory and without a login shell.
RUN groupadd --system --gid 10001 nightjar \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin nightjar \
 && mkdir -p /var/lib/nightjar && chown nightjar:nightjar /var/lib/nightjar
# Every run is saved (docs/results.md); the user has no home, so the database lives here
# (mount a volume on /var/lib/nightjar to keep it).
ENV NIGHTJAR_DB=/var/lib/nightjar/results.db

COPY --from=build /src/build/nightjar /usr/local/bin/nightjar
# Fails the build if a shared library the binary needs is missing from the list above
# (the dynamic loader refuses to start it).
RUN /usr/local/bin/nightjar --version

USER 10001:10001
# nightjar worker (gRPC). Workers listen on loopback unless given --listen with a token
# file or mutual TLS; see deploy/README.md.
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/nightjar"]
CMD ["--help"]
