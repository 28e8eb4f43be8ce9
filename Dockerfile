# clockodo-mcp over streamable HTTP, for a team or a server. See README "Docker".
#   docker build -t clockodo-mcp .
#   docker run -p 8765:8765 -v clockodo-data:/data -e CLOCKODO_API_USER -e CLOCKODO_API_KEY \
#       -e CLOCKODO_MCP_HTTP_TOKEN -e CLOCKODO_MCP_ALLOWED_HOSTS=mcp.example.com:8765 clockodo-mcp

# Build the wheel in a throwaway stage, so the image holds the installed package and nothing of the source tree.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY clockodo_mcp ./clockodo_mcp
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# No keyring in a container: credentials come from the environment.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
    CLOCKODO_MCP_AUDIT_LOG=/data/audit.jsonl \
    CLOCKODO_MCP_STORE=sqlite:////data/store.sqlite3
COPY --from=build /wheels /wheels
# With the postgres extra: the same image serves one laptop (SQLite) or a replica of a shared endpoint. The one
# clockodo-mcp wheel in /wheels is the one built above from this tree, so there is no version to pin.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --find-links /wheels "clockodo-mcp[postgres]" \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin clockodo \
    && mkdir /data \
    && chown clockodo:clockodo /data
USER 10001:10001
WORKDIR /home/clockodo
VOLUME ["/data"]
EXPOSE 8765
# Alive = the server answers HTTP on its port (any status: /mcp wants a token and an MCP request).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.error, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:8765/mcp', timeout=4)\nexcept urllib.error.HTTPError:\n    pass\nexcept OSError:\n    sys.exit(1)"]
# Beyond loopback the server insists on --allowed-hosts (CLOCKODO_MCP_ALLOWED_HOSTS) and a bearer token of at least
# 24 characters (CLOCKODO_MCP_HTTP_TOKEN); without them it refuses to start and says why.
CMD ["clockodo-mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8765"]
