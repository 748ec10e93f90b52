# syntax=docker/dockerfile:1
# One image per Muistot service:  docker build --build-arg SERVICE=login -t muistot/login .
# Every image holds all four service packages (the worker loads job modules of any service) and runs,
# besides its service, `worker`, `migrate` and the other `muistot` sub-commands given as arguments.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY constraints.txt ./
COPY shared/ shared/
COPY services/ services/
# Wheels of our packages and of their dependencies at the pinned versions, then a virtualenv built
# from those wheels alone: the final stage copies the virtualenv and needs neither pip nor a compiler.
# The tooling package (tooling/: the local runner, seed, bench, test helpers) is not installed here.
RUN pip wheel --wheel-dir /wheels --constraint constraints.txt \
        ./shared ./services/login ./services/users ./services/admin ./services/data \
 && python -m venv --without-pip /opt/venv \
 && pip --python /opt/venv/bin/python install --no-index --find-links /wheels /wheels/*.whl \
 && /opt/venv/bin/muistot --help >/dev/null

FROM ${PYTHON_IMAGE}
ARG SERVICE=data
# Fail the build at once on a misspelt service name rather than at container start.
RUN case "${SERVICE}" in login|users|admin|data) ;; *) echo "SERVICE must be login, users, admin or data" >&2; exit 1;; esac \
 && groupadd --system --gid 10001 muistot \
 && useradd --system --no-log-init --uid 10001 --gid muistot --home-dir /app --shell /usr/sbin/nologin muistot \
 && mkdir -p /app /data/files \
 && chown -R muistot:muistot /app /data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MUISTOT_SERVICE=${SERVICE} \
    MUISTOT_ENV=prod \
    MUISTOT_VAR_DIR=/data
COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/muistot-entrypoint
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=40s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["muistot-entrypoint"]
