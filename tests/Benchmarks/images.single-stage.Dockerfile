# The comparison image for the size benchmark: the same app, built and run in one SDK stage,
# as a naive Dockerfile would do it. Not shipped.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
FROM ${SDK_IMAGE}
WORKDIR /src
COPY . .
RUN dotnet publish src/Api/Api.csproj -c Release -o /app -p:UseAppHost=false
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=8080
ENTRYPOINT ["dotnet", "Api.dll"]
