# Builds the single clickstream binary with `deno compile` and runs it on a small base image.
#   docker build -t clickstream .
#   docker run --rm -e KAFKA_BROKERS=host:9092 -p 127.0.0.1:8080:8080 clickstream train --http 0.0.0.0:8080
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY src ./src
RUN deno compile -A --frozen --include src/loadgen/worker.ts --output /out/clickstream src/main.ts

FROM gcr.io/distroless/cc-debian12
COPY --from=build /out/clickstream /usr/local/bin/clickstream
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/clickstream"]
CMD ["--help"]
