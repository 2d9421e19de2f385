# Tend in a small image: slim Python, a non-root user, config mounted at /config.
#   docker build -t tend .
#   docker run -it --rm --user "$(id -u)" -e DISCORD_TOKEN=... -v $PWD:/config tend setup --config /config/config.toml
#   docker run -e DISCORD_TOKEN=... -v $PWD/config.toml:/config/config.toml:ro -v tend-data:/data tend
FROM python:3.11-slim AS build
WORKDIR /src
# Dependencies first, exactly as locked (hashes checked), so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir --prefix=/install --require-hashes -r requirements.lock
COPY pyproject.toml README.md config.example.toml ./
COPY bot ./bot
COPY cogs ./cogs
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TEND_CONFIG=/config/config.toml \
    TEND_HEALTH_PORT=8080 \
    TEND_HEALTH_HOST=0.0.0.0 \
    MPLCONFIGDIR=/tmp/matplotlib
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 tend && mkdir -p /data /config && chown tend:tend /data
USER tend
WORKDIR /data
VOLUME ["/data"]
# /livez, /readyz and /metrics (see README, "Health, metrics and logs"). The slim image has no curl.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('TEND_HEALTH_PORT', '8080')}/readyz\", timeout=4)"]
# The SQLite default lives in /data; set DATABASE_URL for PostgreSQL.
ENTRYPOINT ["tend"]
CMD ["run", "--config", "/config/config.toml"]
