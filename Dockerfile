# One image for every Botify service; docker-compose.yml picks the command. Built from the locked dependencies.
FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv==0.13.9 \
 && apt-get update && apt-get install -y --no-install-recommends libsndfile1 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# dependencies first, so code changes do not re-download them
COPY pyproject.toml uv.lock ./
COPY libs/core/pyproject.toml libs/core/
COPY libs/datasets/pyproject.toml libs/datasets/
COPY libs/models/pyproject.toml libs/models/
COPY libs/cli/pyproject.toml libs/cli/
COPY services/ingest/pyproject.toml services/ingest/
COPY services/recommender/pyproject.toml services/recommender/
COPY services/audio_worker/pyproject.toml services/audio_worker/
COPY services/api/pyproject.toml services/api/
COPY lab/pyproject.toml lab/
RUN uv sync --frozen --no-dev --no-install-workspace
COPY . .
RUN uv sync --frozen --no-dev
ENV PATH=/app/.venv/bin:$PATH BOTIFY_VAR_DIR=/var/lib/botify BOTIFY_DATA_DIR=/data
ENTRYPOINT ["botify"]
CMD ["--help"]
