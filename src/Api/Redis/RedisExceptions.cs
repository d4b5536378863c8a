namespace Api.Redis;

/// <summary>Base type of every failure the Redis client reports.</summary>
public class RedisException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server could not be reached, did not answer in time, or dropped the connection.</summary>
public sealed class RedisConnectionException(string message, Exception? inner = null) : RedisException(message, inner);

/// <summary>The server answered with an error reply (e.g. WRONGTYPE).</summary>
public sealed class RedisServerException(string message) : RedisException(message);

/// <summary>The server sent bytes that are not RESP2.</summary>
public sealed class RedisProtocolException(string message) : RedisException("Redis protocol error: " + message);
