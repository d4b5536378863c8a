using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Slipway.Tools.Tls;

namespace Slipway.Tools.Docker;

/// <summary>HTTP to the engine: the connection, API version prefix, and error mapping.</summary>
internal sealed class DockerTransport : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient http;
    private readonly SemaphoreSlim negotiation = new(1, 1);
    private string? version;

    public DockerTransport(DockerEndpoint endpoint, string? pinnedVersion)
    {
        Endpoint = endpoint;
        version = pinnedVersion;
        http = new HttpClient(CreateHandler(endpoint), disposeHandler: true)
        {
            BaseAddress = endpoint.TcpUri ?? new Uri("http://docker.sock/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public DockerEndpoint Endpoint { get; }

    /// <summary>The newest API version this client speaks; older engines are met at theirs.</summary>
    public const string MaxApiVersion = "1.41";

    public async Task<string> ApiVersionAsync(CancellationToken ct)
    {
        if (version is not null)
            return version;
        await negotiation.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (version is null)
            {
                using var response = await SendRawAsync(new HttpRequestMessage(HttpMethod.Get, "_ping"), HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                var server = response.Headers.TryGetValues("Api-Version", out var values) ? values.FirstOrDefault() : null;
                version = server is not null && Version.TryParse(server, out var s) && s < Version.Parse(MaxApiVersion) ? server : MaxApiVersion;
            }

            return version;
        }
        finally
        {
            negotiation.Release();
        }
    }

    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method,
        string path,
        Query? query = null,
        HttpContent? content = null,
        IReadOnlyDictionary<string, string>? headers = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        CancellationToken ct = default)
    {
        var apiVersion = await ApiVersionAsync(ct).ConfigureAwait(false);
        using var request = new HttpRequestMessage(method, $"v{apiVersion}/{path.TrimStart('/')}{query}") { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await SendRawAsync(request, completion, ct).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    public async Task<T> GetJsonAsync<T>(string path, Query? query = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, query, ct: ct).ConfigureAwait(false);
        return await ReadJsonAsync<T>(response, ct).ConfigureAwait(false);
    }

    public async Task<T> PostJsonAsync<T>(string path, object? body, Query? query = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, query, JsonBody(body), ct: ct).ConfigureAwait(false);
        return await ReadJsonAsync<T>(response, ct).ConfigureAwait(false);
    }

    public async Task SendAndForgetAsync(HttpMethod method, string path, Query? query = null, object? body = null, CancellationToken ct = default)
    {
        using var response = await SendAsync(method, path, query, body is null ? null : JsonBody(body), ct: ct).ConfigureAwait(false);
    }

    public static StringContent JsonBody(object? body) =>
        new(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(ct).ConfigureAwait(false)
        ?? throw new DockerApiException(response.StatusCode, $"the engine returned an empty body for {response.RequestMessage?.RequestUri?.AbsolutePath}");

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new DockerEngineUnreachableException(Endpoint, e);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        // 304: start/stop of a container already in that state.
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
            return;
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var message = EngineMessage(body) ?? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new DockerNotFoundException(message);
        throw new DockerApiException(response.StatusCode, message);
    }

    private static string? EngineMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return body.Trim() is { Length: > 0 } text ? text : null;
        }
    }

    private static SocketsHttpHandler CreateHandler(DockerEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (endpoint.SocketPath is { } socketPath)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        else if (endpoint.CertPath is { } certPath)
        {
            handler.SslOptions = TlsOptions(certPath);
        }

        return handler;
    }

    /// <summary>Client certificate from cert.pem/key.pem; the server must chain to ca.pem.</summary>
    internal static SslClientAuthenticationOptions TlsOptions(string certPath)
    {
        string File(string name)
        {
            var path = Path.Combine(certPath, name);
            return System.IO.File.Exists(path)
                ? path
                : throw new DockerConfigurationException($"{path} not found: DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem");
        }

        var ca = X509CertificateLoader.LoadCertificateFromFile(File("ca.pem"));
        using var pem = X509Certificate2.CreateFromPemFile(File("cert.pem"), File("key.pem"));
        // A PEM key is ephemeral; round-trip through PKCS#12 so SslStream can use it for client auth.
        var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return new SslClientAuthenticationOptions
        {
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = PrivateCa.Validator(ca),
        };
    }

    public void Dispose()
    {
        http.Dispose();
        negotiation.Dispose();
    }
}

/// <summary>A query string built from name/value pairs; null values are left out.</summary>
internal sealed class Query
{
    private readonly List<KeyValuePair<string, string>> pairs = [];

    public Query Add(string name, string? value)
    {
        if (value is not null)
            pairs.Add(new(name, value));
        return this;
    }

    public Query Add(string name, bool value) => Add(name, value ? "1" : "0");

    public Query AddJson(string name, object? value) =>
        value is null ? this : Add(name, JsonSerializer.Serialize(value, DockerTransport.Json));

    public override string ToString() =>
        pairs.Count == 0 ? "" : "?" + string.Join('&', pairs.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
}
