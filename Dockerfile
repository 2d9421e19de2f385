# Tend in a small image: slim Python, a non-root user, config mounted at /config.
#   docker build -t tend .
#   docker run -e DISCORD_TOKEN=... -v $PWD/config.toml:/config/config.toml:ro -v tend-data:/data tend
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY models ./models
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TEND_CONFIG=/config/config.toml
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 tend && mkdir -p /data /config && chown tend:tend /data
USER tend
WORKDIR /data
VOLUME ["/data"]
# The SQLite default lives in /data; set DATABASE_URL for PostgreSQL.
ENTRYPOINT ["tend"]
CMD ["run", "--config", "/config/config.toml"]
