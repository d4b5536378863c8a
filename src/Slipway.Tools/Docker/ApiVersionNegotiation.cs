namespace Slipway.Tools.Docker;

/// <summary>The API version client and engine agree on, as the docker CLI negotiates it.</summary>
internal static class ApiVersionNegotiation
{
    /// <summary>The newest API the library's models describe (Docker 29.4).</summary>
    public static readonly Version ClientMaximum = new(1, 54);

    /// <summary>min(client maximum, the engine's ApiVersion); an engine whose MinAPIVersion is above that is refused.</summary>
    public static Version Agree(Version clientMaximum, string? serverVersion, string? serverMinimum)
    {
        if (!Version.TryParse(serverVersion, out var server))
            throw new DockerApiException(System.Net.HttpStatusCode.BadGateway, $"the engine reported no usable API version ('{serverVersion}')");
        var agreed = server < clientMaximum ? server : clientMaximum;
        if (Version.TryParse(serverMinimum, out var minimum) && agreed < minimum)
            throw new DockerApiException(System.Net.HttpStatusCode.BadRequest,
                $"the engine needs API {minimum} or newer, and this client speaks at most {clientMaximum}: upgrade Slipway's Docker client");
        return agreed;
    }
}
