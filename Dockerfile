# gridflow services image (worker, projector). Production runs it from docker-compose.yml.
# Debian 12 (bookworm): its postgresql-client is 15, as the postgres:15 service's server
FROM python:3.11-slim-bookworm
WORKDIR /app
# pg_dump / pg_restore for `gridflow backup` and `gridflow restore` (docs/operations.md)
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY domain domain
COPY streams streams
COPY projections projections
COPY dashboards dashboards
COPY alerting alerting
COPY reports reports
COPY gridflow gridflow
COPY stores stores
COPY benchmarks benchmarks
COPY imports imports
COPY feeds feeds
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["gridflow"]
