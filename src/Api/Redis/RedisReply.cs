using System.Text;

namespace Api.Redis;

/// <summary>One RESP2 reply: a simple string, an error, an integer, a bulk string or an array.</summary>
public abstract record RedisReply
{
    private RedisReply()
    {
    }

    public sealed record SimpleString(string Value) : RedisReply;

    public sealed record Error(string Message) : RedisReply;

    public sealed record Integer(long Value) : RedisReply;

    /// <summary>A bulk string; <see cref="Value"/> is null for the RESP null bulk string ($-1).</summary>
    public sealed record BulkString(byte[]? Value) : RedisReply
    {
        public string? AsText() => Value is null ? null : Encoding.UTF8.GetString(Value);
    }

    /// <summary>An array; <see cref="Items"/> is null for the RESP null array (*-1).</summary>
    public sealed record Array(IReadOnlyList<RedisReply>? Items) : RedisReply;
}
