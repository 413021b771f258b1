# Operator image: non-root, no build tools at runtime, exactly the versions uv.lock pins (the
# ones CI tested), installed by the same pinned uv the Makefile uses.
FROM python:3.11-slim AS build
WORKDIR /src
COPY tools/uv-requirements.txt tools/
RUN pip install --no-cache-dir --no-deps --require-hashes -r tools/uv-requirements.txt
COPY . .
# --locked: the build fails if uv.lock does not match pyproject.toml
RUN UV_PROJECT_ENVIRONMENT=/opt/eucora UV_PYTHON_DOWNLOADS=never \
    uv sync --locked --no-dev --no-editable --compile-bytecode --python /usr/local/bin/python3.11

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 eucora && useradd --uid 10001 --gid 10001 --no-create-home eucora
COPY --from=build /opt/eucora /opt/eucora
USER 10001:10001
ENV PYTHONUNBUFFERED=1 HOME=/tmp PATH=/opt/eucora/bin:$PATH
EXPOSE 8080 9090
ENTRYPOINT ["eucora"]
CMD ["operator", "run", "--all-namespaces", "--peering", "eucora"]
