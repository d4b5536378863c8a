using System.Text;
using Api.Redis;

namespace Api.Tests;

public class RespProtocolTests
{
    private static Task<RedisReply> Parse(string wire) =>
        RespProtocol.ReadReplyAsync(new MemoryStream(Encoding.UTF8.GetBytes(wire)), CancellationToken.None);

    [Fact]
    public void Commands_are_arrays_of_bulk_strings_with_byte_lengths()
    {
        var bytes = RespProtocol.EncodeCommand(["SET", "k", "héllo"]);

        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nhéllo\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Parses_every_reply_type()
    {
        Assert.Equal(new RedisReply.SimpleString("OK"), await Parse("+OK\r\n"));
        Assert.Equal(new RedisReply.Error("ERR wrong"), await Parse("-ERR wrong\r\n"));
        Assert.Equal(new RedisReply.Integer(-42), await Parse(":-42\r\n"));
        Assert.Equal("a\r\nb", ((RedisReply.BulkString)await Parse("$4\r\na\r\nb\r\n")).AsText());
        Assert.Null(((RedisReply.BulkString)await Parse("$-1\r\n")).Value);
        Assert.Equal("", ((RedisReply.BulkString)await Parse("$0\r\n\r\n")).AsText());
        Assert.Null(((RedisReply.Array)await Parse("*-1\r\n")).Items);

        var array = (RedisReply.Array)await Parse("*3\r\n:1\r\n$3\r\nfoo\r\n*1\r\n+x\r\n");
        Assert.Equal(3, array.Items!.Count);
        Assert.Equal(new RedisReply.Integer(1), array.Items[0]);
        Assert.Equal("foo", ((RedisReply.BulkString)array.Items[1]).AsText());
        Assert.Equal(new RedisReply.SimpleString("x"), Assert.Single(((RedisReply.Array)array.Items[2]).Items!));
    }

    [Theory]
    [InlineData("?what\r\n", "unknown reply type")]
    [InlineData(":12a\r\n", "invalid integer")]
    [InlineData("$3\r\nabcd\r\n", "not terminated by CRLF")]
    [InlineData("+OK\rX", "CR not followed by LF")]
    public async Task Rejects_bytes_that_are_not_resp(string wire, string reason)
    {
        var error = await Assert.ThrowsAsync<RedisProtocolException>(() => Parse(wire));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_reply_is_end_of_stream()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(() => Parse("$10\r\nabc"));
    }
}
