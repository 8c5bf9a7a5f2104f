# gridflow services image (worker, projector). Production runs it from docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY streams streams
COPY projections projections
COPY dashboards dashboards
COPY gridflow gridflow
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["gridflow"]
