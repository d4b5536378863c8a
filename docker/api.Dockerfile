# The API image. Base images are pinned in docker/base-images.json; these ARG defaults must match it
# (a test checks), and BuildImages passes them rewritten to --image-mirror when one is set.
# Works with the engine's legacy builder: no BuildKit-only syntax.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
ARG APP_VERSION=0.0.0-local
WORKDIR /src
# Restore from the project files alone, so this layer survives source edits.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Api/Api.csproj src/Api/
COPY src/Slipway.Migrations/Slipway.Migrations.csproj src/Slipway.Migrations/
RUN dotnet restore src/Api/Api.csproj
COPY src/Slipway.Migrations/ src/Slipway.Migrations/
COPY src/Api/ src/Api/
# Deterministic compiler output with source paths mapped (ContinuousIntegrationBuild), so one commit gives one /app.
RUN dotnet publish src/Api/Api.csproj -c Release --no-restore -o /app -p:AppVersion=${APP_VERSION} -p:UseAppHost=false \
      -p:Deterministic=true -p:ContinuousIntegrationBuild=true

FROM ${RUNTIME_IMAGE} AS runtime
ARG APP_VERSION=0.0.0-local
ARG GIT_SHA=unknown
# The commit's time (BuildImages passes SOURCE_DATE_EPOCH's date), never the build's: see docker/README.md, reproducibility.
ARG CREATED=unknown
ARG SOURCE_URL=https://github.com/slipway/slipway
LABEL org.opencontainers.image.title="slipway-api" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
# Owned by root and read-only to the app user: the process cannot rewrite its own code, nor the migrations
# in /app/Migrations that `dotnet Api.dll migrate` applies in the deploy's release phase.
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true
EXPOSE 8080
# APP_UID (1654, user "app") comes from the ASP.NET base image, upstream and look-alike alike.
USER ${APP_UID}
# No curl or wget in the runtime image: bash's /dev/tcp speaks just enough HTTP.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "Api.dll"]
