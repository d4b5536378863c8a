using System.Net;

namespace Slipway.Tools.Docker;

/// <summary>Nothing answers at the Docker endpoint.</summary>
public sealed class DockerEngineUnreachableException : Exception
{
    public DockerEngineUnreachableException(DockerEndpoint endpoint, Exception? inner = null)
        : base($"Docker engine not reachable at {endpoint}: start Docker or set DOCKER_HOST", inner) => Endpoint = endpoint;

    public DockerEndpoint Endpoint { get; }
}

/// <summary>The engine took longer than the call's timeout (<see cref="DockerTimeouts"/>): it hangs, or the work is too big for the limit.</summary>
public sealed class DockerTimeoutException : Exception
{
    public DockerTimeoutException(DockerEndpoint endpoint, string operation, TimeSpan timeout, Exception? inner = null)
        : base($"Docker engine at {endpoint} did not finish {operation} within {timeout.TotalSeconds:0.#} s: check that the engine is healthy (docker info)", inner)
    {
        Endpoint = endpoint;
        Operation = operation;
    }

    public DockerEndpoint Endpoint { get; }

    public string Operation { get; }
}

/// <summary>DOCKER_HOST / DOCKER_CERT_PATH are unusable.</summary>
public sealed class DockerConfigurationException : Exception
{
    public DockerConfigurationException(string message)
        : base(message)
    {
    }
}

/// <summary>The engine answered with an error; the message is the engine's own.</summary>
public class DockerApiException : Exception
{
    public DockerApiException(HttpStatusCode statusCode, string message)
        : base(message) => StatusCode = statusCode;

    public HttpStatusCode StatusCode { get; }
}

/// <summary>The image, container, network or volume does not exist (HTTP 404).</summary>
public sealed class DockerNotFoundException : DockerApiException
{
    public DockerNotFoundException(string message)
        : base(HttpStatusCode.NotFound, message)
    {
    }
}

internal static class NotFound
{
    /// <summary>The inspect's answer, or null when the engine has no such object: what every TryInspectAsync returns.</summary>
    public static async Task<T?> OrNullWhenNotFoundAsync<T>(this Task<T> inspect)
        where T : class
    {
        try
        {
            return await inspect.ConfigureAwait(false);
        }
        catch (DockerNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>A streamed operation (build, push, pull) reported an error in its progress stream.</summary>
public sealed class DockerStreamException : Exception
{
    public DockerStreamException(string operation, string message)
        : base($"{operation} failed: {message}") => Operation = operation;

    public string Operation { get; }
}
