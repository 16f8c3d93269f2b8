# Build: docker build -t newswatch .
# Run:   docker run -d -v newswatch-data:/data -e NEWSWATCH_SMTP_PASSWORD newswatch
# The volume holds newswatch.toml, the SQLite database and the digests folder
# (relative paths in the config resolve against the config file's folder).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/newswatch ./cmd/newswatch
RUN mkdir -p /out/data && cp config.example.toml /out/data/newswatch.toml

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/newswatch /usr/local/bin/newswatch
COPY --from=build --chown=65532:65532 /out/data /data
ENV NEWSWATCH_CONFIG=/data/newswatch.toml
VOLUME /data
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/newswatch"]
CMD ["run"]
