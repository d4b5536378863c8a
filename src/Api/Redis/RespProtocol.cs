using System.Buffers;
using System.Globalization;
using System.Text;

namespace Api.Redis;

/// <summary>RESP2 encoding of commands and decoding of replies.</summary>
public static class RespProtocol
{
    private const int MaxBulkLength = 512 * 1024 * 1024;

    /// <summary>Encodes a command as a RESP array of bulk strings.</summary>
    public static byte[] EncodeCommand(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var buffer = new ArrayBufferWriter<byte>();
        WriteAscii(buffer, $"*{arguments.Count.ToString(CultureInfo.InvariantCulture)}\r\n");
        foreach (var argument in arguments)
        {
            var bytes = Encoding.UTF8.GetBytes(argument);
            WriteAscii(buffer, $"${bytes.Length.ToString(CultureInfo.InvariantCulture)}\r\n");
            buffer.Write(bytes);
            buffer.Write("\r\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads exactly one reply from <paramref name="stream"/>.</summary>
    /// <exception cref="RedisProtocolException">The bytes are not valid RESP2.</exception>
    /// <exception cref="EndOfStreamException">The server closed the connection.</exception>
    public static async Task<RedisReply> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var line = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
        if (line.Length == 0)
            throw new RedisProtocolException("empty reply line");
        var payload = line[1..];
        switch (line[0])
        {
            case '+':
                return new RedisReply.SimpleString(payload);
            case '-':
                return new RedisReply.Error(payload);
            case ':':
                return new RedisReply.Integer(ParseInteger(payload));
            case '$':
                var length = ParseInteger(payload);
                if (length == -1)
                    return new RedisReply.BulkString(null);
                if (length < 0 || length > MaxBulkLength)
                    throw new RedisProtocolException($"invalid bulk string length {payload}");
                var data = new byte[length + 2];
                await stream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
                if (data[^2] != '\r' || data[^1] != '\n')
                    throw new RedisProtocolException("bulk string not terminated by CRLF");
                return new RedisReply.BulkString(data[..^2]);
            case '*':
                var count = ParseInteger(payload);
                if (count == -1)
                    return new RedisReply.Array(null);
                if (count < 0)
                    throw new RedisProtocolException($"invalid array length {payload}");
                var items = new RedisReply[count];
                for (var i = 0; i < count; i++)
                    items[i] = await ReadReplyAsync(stream, cancellationToken).ConfigureAwait(false);
                return new RedisReply.Array(items);
            default:
                throw new RedisProtocolException($"unknown reply type '{line[0]}'");
        }
    }

    private static long ParseInteger(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new RedisProtocolException($"invalid integer '{text}'");

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
            if (one[0] == '\r')
            {
                await stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
                if (one[0] != '\n')
                    throw new RedisProtocolException("CR not followed by LF");
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    private static void WriteAscii(ArrayBufferWriter<byte> buffer, string text) =>
        buffer.Write(Encoding.ASCII.GetBytes(text));
}
