# Operator image: non-root, no build tools at runtime.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 eucora && useradd --uid 10001 --gid 10001 --no-create-home eucora
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
ENV PYTHONUNBUFFERED=1 HOME=/tmp
EXPOSE 8080 9090
ENTRYPOINT ["eucora"]
CMD ["operator", "run", "--all-namespaces", "--peering", "eucora"]
