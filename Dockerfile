# Build: docker build -t newswatch .
# Config (no Go needed; the file holds no secret, and uid 65532 must read it):
#        docker run --rm newswatch init -data /data - > newswatch.toml && chmod 0644 newswatch.toml
# Run:   docker run -d --name newswatch \
#          -v /path/to/newswatch.toml:/etc/newswatch/newswatch.toml:ro \
#          -v newswatch-data:/data \
#          -e NEWSWATCH_SMTP_PASSWORD newswatch
# The image holds no configuration: bind-mount yours. With -data /data the
# starter config keeps database and [output] dir on the volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/newswatch ./cmd/newswatch
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/newswatch /usr/local/bin/newswatch
COPY --from=build --chown=65532:65532 /out/data /data
ENV NEWSWATCH_CONFIG=/etc/newswatch/newswatch.toml
VOLUME /data
USER 65532:65532
# No shell in the image: the health check is the binary's exit code.
HEALTHCHECK --interval=5m --timeout=30s CMD ["/usr/local/bin/newswatch", "status", "-q"]
ENTRYPOINT ["/usr/local/bin/newswatch"]
CMD ["run"]
