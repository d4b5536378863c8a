namespace Api.Redis;

/// <summary>Where the Redis server listens, and how long to wait for it.</summary>
public sealed record RedisEndpoint(string Host, int Port)
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound for one command: writing it and reading its whole reply.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public override string ToString() => $"{Host}:{Port}";
}
